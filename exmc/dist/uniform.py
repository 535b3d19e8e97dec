"""Uniform(lower, upper); the bounds may be other nodes, so the transform follows them."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import log_from_p_or_q


def lower_below_upper(params) -> str | None:
    """The problem with constant ``lower`` / ``upper`` parameters that do not bound an interval."""
    lower, upper = params.get("lower"), params.get("upper")
    if lower is None or upper is None:
        return None
    if not np.all(np.asarray(lower) < np.asarray(upper)):
        return f"needs lower < upper, got lower={lower} and upper={upper}"
    return None


class Uniform(Distribution):
    """Uniform(lower, upper) on the open interval (lower, upper)."""

    parametrizations = ({"lower": C.real, "upper": C.real},)
    support = C.interval("lower", "upper")

    @classmethod
    def check_params(cls, params):
        return lower_below_upper(params)

    @classmethod
    def logp(cls, x, lower, upper):
        # The bounds can be other nodes' values, so the support is checked here too.
        inside = (x > lower) & (x < upper)
        return jnp.where(inside, -jnp.log(upper - lower), -jnp.inf)

    @classmethod
    def logcdf(cls, x, lower, upper):
        # clipped into [lower, upper]: log 0 = -inf below, log 1 = 0 above; near 1 from the
        # complement, by log1p
        x = jnp.clip(x, lower, upper)
        width = upper - lower
        return log_from_p_or_q((x - lower) / width, (upper - x) / width)

    @classmethod
    def logccdf(cls, x, lower, upper):
        x = jnp.clip(x, lower, upper)
        width = upper - lower
        return log_from_p_or_q((upper - x) / width, (x - lower) / width)

    @classmethod
    def sample(cls, key, params, shape):
        lower, upper = params["lower"], params["upper"]
        return lower + (upper - lower) * jax.random.uniform(key, shape)
