"""Laplace(mu, b): the double exponential."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from exmc import constraints as C
from exmc.dist.base import Distribution

_LOG_2 = float(np.log(2.0))


def _log_half_tail(z):
    """log P(Z > z) for a standard Laplace and z >= 0: log(1/2) - z, exactly."""
    return -_LOG_2 - z


class Laplace(Distribution):
    """Laplace(mu, b) with location mu and scale b: exp(-|x - mu| / b) / (2 b)."""

    parametrizations = ({"mu": C.real, "b": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, mu, b):
        return -_LOG_2 - jnp.log(b) - jnp.abs(x - mu) / b

    @classmethod
    def logcdf(cls, x, mu, b):
        z = (x - mu) / b
        # below mu the CDF is the small tail e^z / 2; above, 1 - e^-z / 2 by log1p
        return jnp.where(z < 0, _log_half_tail(-z), jnp.log1p(-0.5 * jnp.exp(-jnp.abs(z))))

    @classmethod
    def logccdf(cls, x, mu, b):
        return cls.logcdf(-x, -mu, b)  # symmetric about mu

    @classmethod
    def sample(cls, key, params, shape):
        return params["mu"] + params["b"] * jax.random.laplace(key, shape)
