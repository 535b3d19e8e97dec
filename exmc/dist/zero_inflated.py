"""Zero-inflated counts: with probability psi a draw of the count distribution, else 0
(PyMC's convention: psi is the probability of the count component, not of the extra zeros)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlogy

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.negative_binomial import nb_log_p0, nb_logp, nb_sample


def _mix(x, psi, log_count_p0, count_logp):
    """log((1 - psi) [x = 0] + psi P(x)); at 0, log((1 - psi) + psi P(0)) by logaddexp."""
    log_psi = jnp.log(psi)
    zero = jnp.logaddexp(jnp.log1p(-psi), log_psi + log_count_p0)
    return jnp.where(x == 0, zero, log_psi + count_logp)


class ZeroInflatedPoisson(Distribution):
    """ZeroInflatedPoisson(psi, mu): 0 with probability 1 - psi, else Poisson(mu)."""

    parametrizations = ({"psi": C.closed_unit_interval, "mu": C.nonnegative},)
    support = C.nonnegative_integer
    discrete = True

    @classmethod
    def logp(cls, x, psi, mu):
        return _mix(x, psi, -mu, xlogy(x, mu) - mu - gammaln(x + 1.0))

    @classmethod
    def sample(cls, key, params, shape):
        k_zero, k_count = jax.random.split(key)
        counts = jax.random.poisson(k_count, jnp.broadcast_to(params["mu"], shape), shape)
        keep = jax.random.bernoulli(k_zero, jnp.broadcast_to(params["psi"], shape), shape)
        return jnp.where(keep, counts, 0).astype(jnp.result_type(float))


class ZeroInflatedNegativeBinomial(Distribution):
    """ZeroInflatedNegativeBinomial(psi, mu, alpha): 0 with probability 1 - psi, else
    NegativeBinomial(mu, alpha)."""

    parametrizations = ({"psi": C.closed_unit_interval, "mu": C.positive, "alpha": C.positive},)
    support = C.nonnegative_integer
    discrete = True

    @classmethod
    def logp(cls, x, psi, mu, alpha):
        return _mix(x, psi, nb_log_p0(mu, alpha), nb_logp(x, mu, alpha))

    @classmethod
    def sample(cls, key, params, shape):
        k_zero, k_count = jax.random.split(key)
        counts = nb_sample(k_count, params["mu"], params["alpha"], shape)
        keep = jax.random.bernoulli(k_zero, jnp.broadcast_to(params["psi"], shape), shape)
        return jnp.where(keep, counts, 0.0)
