"""Logistic(mu, s)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import softplus


class Logistic(Distribution):
    """Logistic(mu, s) with location mu and scale s: CDF 1 / (1 + e^-(x - mu) / s)."""

    parametrizations = ({"mu": C.real, "s": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, mu, s):
        # -z - log s - 2 log(1 + e^-z), with |z| so that no exponential overflows
        z = jnp.abs(x - mu) / s
        return -z - jnp.log(s) - 2.0 * jnp.log1p(jnp.exp(-z))

    @classmethod
    def logcdf(cls, x, mu, s):
        return -softplus(-(x - mu) / s)

    @classmethod
    def logccdf(cls, x, mu, s):
        return -softplus((x - mu) / s)

    @classmethod
    def sample(cls, key, params, shape):
        return params["mu"] + params["s"] * jax.random.logistic(key, shape)
