"""SkewNormal(mu, sigma, alpha) (Azzalini 1985)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr

from exmc import constraints as C
from exmc.dist.base import Distribution, half_log_2pi
from exmc.dist.owens_t import skew_normal_log_cdf

_LOG_2 = float(np.log(2.0))


class SkewNormal(Distribution):
    """SkewNormal(mu, sigma, alpha): density 2/sigma phi(z) Phi(alpha z), z = (x - mu) / sigma
    (scipy's skewnorm(alpha, mu, sigma)); alpha = 0 is Normal(mu, sigma).

    ``logcdf`` / ``logccdf``: Phi(z) - 2 T(z, alpha) with Owen's T, which JAX lacks: written
    in ``exmc.dist.owens_t`` by quadrature, each tail from its own side (decision 62).
    """

    parametrizations = ({"mu": C.real, "sigma": C.positive, "alpha": C.real},)
    support = C.real

    @classmethod
    def logp(cls, x, mu, sigma, alpha):
        z = (x - mu) / sigma
        # log_ndtr keeps the log of Phi accurate far in its lower tail (alpha z << 0)
        return _LOG_2 - jnp.log(sigma) - half_log_2pi() - 0.5 * z * z + log_ndtr(alpha * z)

    @classmethod
    def logcdf(cls, x, mu, sigma, alpha):
        return skew_normal_log_cdf((x - mu) / sigma, alpha)

    @classmethod
    def logccdf(cls, x, mu, sigma, alpha):
        return skew_normal_log_cdf((mu - x) / sigma, -alpha)  # 1 - F(z; alpha) = F(-z; -alpha)

    @classmethod
    def sample(cls, key, params, shape):
        # Azzalini's representation: delta |U0| + sqrt(1 - delta^2) U1 with U0, U1 ~ N(0, 1)
        k0, k1 = jax.random.split(key)
        alpha = params["alpha"]
        delta = alpha / jnp.sqrt(1.0 + alpha * alpha)
        u0 = jnp.abs(jax.random.normal(k0, shape))
        u1 = jax.random.normal(k1, shape)
        z = delta * u0 + jnp.sqrt(1.0 - delta * delta) * u1
        return params["mu"] + params["sigma"] * z
