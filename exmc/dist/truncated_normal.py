"""TruncatedNormal(mu, sigma, lower, upper): Normal(mu, sigma) restricted to (lower, upper)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf, log_ndtr, ndtr, ndtri

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.normal import Normal
from exmc.dist.special import log_interval_mass, log_split
from exmc.dist.uniform import lower_below_upper

_SQRT_HALF = float(np.sqrt(0.5))


def log_normal_mass(alpha, beta):
    """log(Phi(beta) - Phi(alpha)) for standardised bounds alpha < beta, stable in both tails.

    Across the median it is (erf(beta / sqrt 2) - erf(alpha / sqrt 2)) / 2, a sum of two
    non-negative terms: 1 - Phi(alpha) - Phi(-beta) would cancel for a narrow interval there.
    """
    generic = log_interval_mass(log_ndtr(alpha), log_ndtr(-alpha), log_ndtr(beta), log_ndtr(-beta))
    straddle = (alpha <= 0) & (beta >= 0)
    a, b = jnp.where(straddle, alpha, -1.0), jnp.where(straddle, beta, 1.0)
    across = jnp.log(0.5 * (erf(b * _SQRT_HALF) - erf(a * _SQRT_HALF)))
    return jnp.where(straddle, across, generic)


class TruncatedNormal(Distribution):
    """TruncatedNormal(mu, sigma, lower, upper): a Normal restricted to (lower, upper), both
    bounds finite (scipy's truncnorm((lower - mu) / sigma, (upper - mu) / sigma, mu, sigma)).
    A one-sided truncation is ``exmc.Truncated(exmc.Normal, lower=...)``."""

    parametrizations = ({"mu": C.real, "sigma": C.positive, "lower": C.real, "upper": C.real},)
    support = C.interval("lower", "upper")

    @classmethod
    def check_params(cls, params):
        return lower_below_upper(params)

    @classmethod
    def logp(cls, x, mu, sigma, lower, upper):
        inside = (x > lower) & (x < upper)
        log_mass = log_normal_mass((lower - mu) / sigma, (upper - mu) / sigma)
        return jnp.where(inside, Normal.logp(x, mu, sigma) - log_mass, -jnp.inf)

    @classmethod
    def _log_f_and_s(cls, x, mu, sigma, lower, upper):
        alpha, beta = (lower - mu) / sigma, (upper - mu) / sigma
        z = (jnp.clip(x, lower, upper) - mu) / sigma
        return log_split(log_normal_mass(alpha, z), log_normal_mass(z, beta), log_normal_mass(alpha, beta))

    @classmethod
    def logcdf(cls, x, mu, sigma, lower, upper):
        return cls._log_f_and_s(x, mu, sigma, lower, upper)[0]

    @classmethod
    def logccdf(cls, x, mu, sigma, lower, upper):
        return cls._log_f_and_s(x, mu, sigma, lower, upper)[1]

    @classmethod
    def sample(cls, key, params, shape):
        # inversion on the side of the median where Phi is small (its values keep their
        # digits there): an interval above the median is drawn as the mirror of one below
        mu, sigma = params["mu"], params["sigma"]
        alpha, beta = (params["lower"] - mu) / sigma, (params["upper"] - mu) / sigma
        flip = alpha > 0
        lo, hi = jnp.where(flip, -beta, alpha), jnp.where(flip, -alpha, beta)
        u = jax.random.uniform(key, shape, minval=0.0, maxval=1.0)
        p_lo = ndtr(lo)
        z = jnp.clip(ndtri(p_lo + u * (ndtr(hi) - p_lo)), lo, hi)
        return mu + sigma * jnp.where(flip, -z, z)
