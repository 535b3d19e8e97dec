"""Poisson(mu) on the non-negative integers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlogy

from exmc import constraints as C
from exmc.dist.base import Distribution


class Poisson(Distribution):
    """Poisson(mu) with mean mu."""

    parametrizations = ({"mu": C.nonnegative},)
    support = C.nonnegative_integer
    discrete = True

    @classmethod
    def logp(cls, x, mu):
        return xlogy(x, mu) - mu - gammaln(x + 1.0)

    @classmethod
    def sample(cls, key, params, shape):
        mu = jnp.broadcast_to(params["mu"], shape)
        return jax.random.poisson(key, mu, shape).astype(jnp.result_type(float))
