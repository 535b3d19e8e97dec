"""The Normal family: Normal, HalfNormal, LogNormal."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf, erfc, log_ndtr

from exmc import constraints as C
from exmc.dist.base import Distribution, half_log_2pi
from exmc.dist.special import log_from_p_or_q

_LOG_2 = float(np.log(2.0))
_SQRT_HALF = float(np.sqrt(0.5))


class Normal(Distribution):
    """Normal(mu, sigma) on the real line."""

    parametrizations = ({"mu": C.real, "sigma": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, mu, sigma):
        # times 1/sigma: one division per parameter, not per element (XLA may not rewrite it)
        z = (x - mu) * (1.0 / sigma)
        return -0.5 * z * z - jnp.log(sigma) - half_log_2pi()

    @classmethod
    def logcdf(cls, x, mu, sigma):
        # log_ndtr: an asymptotic series below -20 sd, where Phi underflows past -38
        return log_ndtr((x - mu) / sigma)

    @classmethod
    def logccdf(cls, x, mu, sigma):
        return log_ndtr((mu - x) / sigma)

    @classmethod
    def sample(cls, key, params, shape):
        return params["mu"] + params["sigma"] * jax.random.normal(key, shape)


class HalfNormal(Distribution):
    """HalfNormal(sigma): |Normal(0, sigma)|, on the positive reals."""

    parametrizations = ({"sigma": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, sigma):
        z = x * (1.0 / sigma)
        return 0.5 * float(np.log(2.0 / np.pi)) - jnp.log(sigma) - 0.5 * z * z

    @classmethod
    def logcdf(cls, x, sigma):
        # P = erf(z / sqrt 2) keeps its digits near 0, Q = erfc(z / sqrt 2) in the tail
        w = x * (_SQRT_HALF / sigma)
        return log_from_p_or_q(erf(w), erfc(w))

    @classmethod
    def logccdf(cls, x, sigma):
        w = x * (_SQRT_HALF / sigma)
        return log_from_p_or_q(erfc(w), erf(w))

    @classmethod
    def sample(cls, key, params, shape):
        return params["sigma"] * jnp.abs(jax.random.normal(key, shape))


class LogNormal(Distribution):
    """LogNormal(mu, sigma): log(x) ~ Normal(mu, sigma)."""

    parametrizations = ({"mu": C.real, "sigma": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, mu, sigma):
        log_x = jnp.log(x)
        z = (log_x - mu) * (1.0 / sigma)
        return -0.5 * z * z - jnp.log(sigma) - log_x - half_log_2pi()

    @classmethod
    def logcdf(cls, x, mu, sigma):
        return log_ndtr((jnp.log(x) - mu) / sigma)

    @classmethod
    def logccdf(cls, x, mu, sigma):
        return log_ndtr((mu - jnp.log(x)) / sigma)

    @classmethod
    def sample(cls, key, params, shape):
        return jnp.exp(params["mu"] + params["sigma"] * jax.random.normal(key, shape))
