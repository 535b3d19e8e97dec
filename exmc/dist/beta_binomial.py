"""BetaBinomial(alpha, beta, n): Binomial(n, p) with p ~ Beta(alpha, beta)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import betaln


class BetaBinomial(Distribution):
    """BetaBinomial(alpha, beta, n) on {0, ..., n} (scipy's betabinom(n, alpha, beta))."""

    parametrizations = ({"alpha": C.positive, "beta": C.positive, "n": C.nonnegative_integer},)
    support = C.integer_interval(0.0, "n")
    discrete = True

    @classmethod
    def logp(cls, x, alpha, beta, n):
        log_choose = gammaln(n + 1.0) - gammaln(x + 1.0) - gammaln(n - x + 1.0)
        return log_choose + betaln(x + alpha, n - x + beta) - betaln(alpha, beta)

    @classmethod
    def sample(cls, key, params, shape):
        k_p, k_n = jax.random.split(key)
        p = jax.random.beta(k_p, jnp.broadcast_to(params["alpha"], shape), jnp.broadcast_to(params["beta"], shape), shape)
        return jax.random.binomial(k_n, jnp.broadcast_to(params["n"], shape), p, shape)
