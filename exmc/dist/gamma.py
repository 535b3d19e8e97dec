"""The Gamma family: Gamma (shape alpha, rate beta) and Exponential (rate lam)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammainc, gammaincc, gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import log1mexp, log_from_p_or_q


class Gamma(Distribution):
    """Gamma(alpha, beta) with shape alpha and rate beta (mean alpha / beta)."""

    parametrizations = ({"alpha": C.positive, "beta": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, alpha, beta):
        # XLA's lgamma and its derivative (digamma) stay finite for alpha in [1e-3, 1e3]:
        # the seed's "lgamma wall" was a hand-written Lanczos series differentiated by autodiff.
        return alpha * jnp.log(beta) - gammaln(alpha) + (alpha - 1.0) * jnp.log(x) - beta * x

    @classmethod
    def logcdf(cls, x, alpha, beta):
        # the regularised incomplete gamma P and its complement Q, each accurate relatively
        return log_from_p_or_q(gammainc(alpha, beta * x), gammaincc(alpha, beta * x))

    @classmethod
    def logccdf(cls, x, alpha, beta):
        return log_from_p_or_q(gammaincc(alpha, beta * x), gammainc(alpha, beta * x))

    @classmethod
    def sample(cls, key, params, shape):
        alpha = jnp.broadcast_to(params["alpha"], shape)
        return jax.random.gamma(key, alpha, shape) / params["beta"]


class Exponential(Distribution):
    """Exponential(lam) with rate lam (mean 1 / lam)."""

    parametrizations = ({"lam": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, lam):
        return jnp.log(lam) - lam * x

    @classmethod
    def logcdf(cls, x, lam):
        return log1mexp(lam * x)

    @classmethod
    def logccdf(cls, x, lam):
        return -lam * x

    @classmethod
    def sample(cls, key, params, shape):
        return jax.random.exponential(key, shape) / params["lam"]
