"""Geometric(p): the number of Bernoulli(p) trials up to and including the first success."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import xlog1py

from exmc import constraints as C
from exmc.dist.base import Distribution

positive_integer = C.Constraint("positive integers (1, 2, ...)", integer=True, lower=1.0, lower_open=False)
success_probability = C.Constraint("the interval (0, 1]", lower=0.0, upper=1.0, upper_open=False)


class Geometric(Distribution):
    """Geometric(p) on {1, 2, ...}: p (1 - p)^(x - 1) (PyMC's and scipy's geom)."""

    parametrizations = ({"p": success_probability},)
    support = positive_integer
    discrete = True

    @classmethod
    def logp(cls, x, p):
        # xlog1py: at p = 1 the first trial succeeds, 0 log(0) = 0 for x = 1
        return jnp.log(p) + xlog1py(x - 1.0, -p)

    @classmethod
    def sample(cls, key, params, shape):
        p = jnp.broadcast_to(params["p"], shape)
        return jax.random.geometric(key, p, shape).astype(jnp.result_type(float))
