"""InverseGamma(alpha, beta): 1 / X for X ~ Gamma(alpha, rate beta)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammainc, gammaincc, gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import log_from_p_or_q


class InverseGamma(Distribution):
    """InverseGamma(alpha, beta) with shape alpha and scale beta (scipy's invgamma(alpha,
    scale=beta)); mean beta / (alpha - 1) for alpha > 1."""

    parametrizations = ({"alpha": C.positive, "beta": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, alpha, beta):
        return alpha * jnp.log(beta) - gammaln(alpha) - (alpha + 1.0) * jnp.log(x) - beta / x

    @classmethod
    def logcdf(cls, x, alpha, beta):
        # P(1/X <= x) = P(X >= 1/x) = Q(alpha, beta / x)
        z = beta / x
        return log_from_p_or_q(gammaincc(alpha, z), gammainc(alpha, z))

    @classmethod
    def logccdf(cls, x, alpha, beta):
        z = beta / x
        return log_from_p_or_q(gammainc(alpha, z), gammaincc(alpha, z))

    @classmethod
    def sample(cls, key, params, shape):
        alpha = jnp.broadcast_to(params["alpha"], shape)
        return params["beta"] / jax.random.gamma(key, alpha, shape)
