"""NegativeBinomial(mu, alpha): the Gamma-Poisson mixture, PyMC's mean-dispersion form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlogy

from exmc import constraints as C
from exmc.dist.base import Distribution


def nb_logp(x, mu, alpha):
    """log C(x + alpha - 1, x) + alpha log(alpha / (alpha + mu)) + x log(mu / (alpha + mu)).

    alpha log(alpha / (alpha + mu)) is -alpha log1p(mu / alpha): no cancellation when mu is
    small against alpha (the Poisson limit), where alpha / (alpha + mu) rounds towards 1.
    """
    return (
        gammaln(x + alpha) - gammaln(alpha) - gammaln(x + 1.0)
        - alpha * jnp.log1p(mu / alpha)
        + xlogy(x, mu) - x * jnp.log(alpha + mu)
    )


def nb_log_p0(mu, alpha):
    """log P(X = 0) = -alpha log1p(mu / alpha)."""
    return -alpha * jnp.log1p(mu / alpha)


def nb_sample(key, mu, alpha, shape):
    """Poisson(mu * G / alpha) with G ~ Gamma(alpha, 1): the mixture that defines it."""
    k_gamma, k_poisson = jax.random.split(key)
    rate = jnp.broadcast_to(mu, shape) * jax.random.gamma(k_gamma, jnp.broadcast_to(alpha, shape), shape) / alpha
    return jax.random.poisson(k_poisson, rate, shape).astype(jnp.result_type(float))


class NegativeBinomial(Distribution):
    """NegativeBinomial(mu, alpha) with mean mu and variance mu + mu^2 / alpha (PyMC's form;
    scipy's nbinom(n=alpha, p=alpha / (alpha + mu)))."""

    parametrizations = ({"mu": C.positive, "alpha": C.positive},)
    support = C.nonnegative_integer
    discrete = True

    @classmethod
    def logp(cls, x, mu, alpha):
        return nb_logp(x, mu, alpha)

    @classmethod
    def sample(cls, key, params, shape):
        return nb_sample(key, params["mu"], params["alpha"], shape)
