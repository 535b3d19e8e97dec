"""Beta(alpha, beta) on the open unit interval."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import betaln


class Beta(Distribution):
    """Beta(alpha, beta) on (0, 1).

    No ``logcdf``: JAX's ``betainc`` has no derivative in alpha and beta.
    """

    parametrizations = ({"alpha": C.positive, "beta": C.positive},)
    support = C.unit_interval

    @classmethod
    def logp(cls, x, alpha, beta):
        return (alpha - 1.0) * jnp.log(x) + (beta - 1.0) * jnp.log1p(-x) - betaln(alpha, beta)

    @classmethod
    def sample(cls, key, params, shape):
        a = jnp.broadcast_to(params["alpha"], shape)
        b = jnp.broadcast_to(params["beta"], shape)
        return jax.random.beta(key, a, b, shape)
