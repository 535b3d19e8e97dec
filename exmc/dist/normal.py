"""The Normal family: Normal, HalfNormal, LogNormal."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from exmc import constraints as C
from exmc.dist.base import Distribution, half_log_2pi


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
    def sample(cls, key, params, shape):
        return jnp.exp(params["mu"] + params["sigma"] * jax.random.normal(key, shape))
