"""Weibull(alpha, beta): shape alpha, scale beta; the survival model's workhorse."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import log1mexp


class Weibull(Distribution):
    """Weibull(alpha, beta): density (alpha / beta) (x / beta)^(alpha - 1) exp(-(x / beta)^alpha)
    (PyMC's form; scipy's weibull_min(alpha, scale=beta))."""

    parametrizations = ({"alpha": C.positive, "beta": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, alpha, beta):
        log_z = jnp.log(x) - jnp.log(beta)
        return jnp.log(alpha) - jnp.log(beta) + (alpha - 1.0) * log_z - jnp.exp(alpha * log_z)

    @classmethod
    def logcdf(cls, x, alpha, beta):
        return log1mexp((x / beta) ** alpha)

    @classmethod
    def logccdf(cls, x, alpha, beta):
        # the cumulative hazard, exactly: the survival function is exp(-(x / beta)^alpha)
        return -((x / beta) ** alpha)

    @classmethod
    def sample(cls, key, params, shape):
        # inversion: (x / beta)^alpha is Exponential(1)
        return params["beta"] * jax.random.exponential(key, shape) ** (1.0 / params["alpha"])
