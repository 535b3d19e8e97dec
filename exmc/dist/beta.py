"""Beta(alpha, beta) on the open unit interval."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.incomplete_beta import log_betainc_pair
from exmc.dist.special import betaln


class Beta(Distribution):
    """Beta(alpha, beta) on (0, 1).

    ``logcdf`` / ``logccdf``: log I_x(alpha, beta) and log I_{1-x}(beta, alpha) from
    ``exmc.dist.incomplete_beta`` (differentiable in alpha and beta, decision 62).
    """

    parametrizations = ({"alpha": C.positive, "beta": C.positive},)
    support = C.unit_interval

    @classmethod
    def logp(cls, x, alpha, beta):
        return (alpha - 1.0) * jnp.log(x) + (beta - 1.0) * jnp.log1p(-x) - betaln(alpha, beta)

    @classmethod
    def logcdf(cls, x, alpha, beta):
        return log_betainc_pair(alpha, beta, x)[0]

    @classmethod
    def logccdf(cls, x, alpha, beta):
        return log_betainc_pair(alpha, beta, x)[1]

    @classmethod
    def sample(cls, key, params, shape):
        a = jnp.broadcast_to(params["alpha"], shape)
        b = jnp.broadcast_to(params["beta"], shape)
        return jax.random.beta(key, a, b, shape)
