"""The Student-t family: StudentT, Cauchy (nu = 1), HalfCauchy, HalfStudentT."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.incomplete_beta import log_betainc_pair
from exmc.dist.special import log_from_p_or_q

_LOG_PI = float(np.log(np.pi))
_LOG_2 = float(np.log(2.0))


class StudentT(Distribution):
    """StudentT(nu, mu, sigma): location-scale Student-t with nu degrees of freedom.

    ``logcdf`` / ``logccdf`` (and HalfStudentT's) through the incomplete beta function,
    P(|T| > |t|) = I_{nu / (nu + t^2)}(nu / 2, 1 / 2), from ``exmc.dist.incomplete_beta``:
    differentiable in nu too, so nu may be free in a censored or truncated Student-t
    (decision 62). Accurate for |t| up to 1e150 and nu up to about 2e5.
    """

    parametrizations = ({"nu": C.positive, "mu": C.real, "sigma": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, nu, mu, sigma):
        z = (x - mu) * (1.0 / sigma)
        return (
            gammaln(0.5 * (nu + 1.0))
            - gammaln(0.5 * nu)
            - 0.5 * (jnp.log(nu) + _LOG_PI)
            - jnp.log(sigma)
            - 0.5 * (nu + 1.0) * jnp.log1p(z * z * (1.0 / nu))
        )

    @classmethod
    def logcdf(cls, x, nu, mu, sigma):
        log_tail, log_body = _log_tail_and_body(nu, (x - mu) / sigma)
        return jnp.where(x < mu, log_tail, log_body)

    @classmethod
    def logccdf(cls, x, nu, mu, sigma):
        log_tail, log_body = _log_tail_and_body(nu, (x - mu) / sigma)
        return jnp.where(x > mu, log_tail, log_body)

    @classmethod
    def sample(cls, key, params, shape):
        nu = jnp.broadcast_to(params["nu"], shape)
        return params["mu"] + params["sigma"] * jax.random.t(key, nu, shape)


def _beta_arguments(nu, t):
    """(w, 1 - w) with w = nu / (nu + t^2), each computed without cancellation."""
    z2 = t * t / nu
    return 1.0 / (1.0 + z2), z2 / (1.0 + z2)


def _log_tail_and_body(nu, t):
    """(log P(T > |t|), log P(T < |t|)) for a standard Student-t: the tail is
    I_w(nu / 2, 1 / 2) / 2 (at most 1/2), the body its complement."""
    w, one_minus_w = _beta_arguments(nu, t)
    log_tail = log_betainc_pair(0.5 * nu, 0.5, w, one_minus_w)[0] - _LOG_2
    # the tail is at most 1/2, so log1p(-tail) keeps every digit of the body
    return log_tail, jnp.log1p(-jnp.exp(log_tail))


class Cauchy(Distribution):
    """Cauchy(alpha, beta) with location alpha and scale beta."""

    parametrizations = ({"alpha": C.real, "beta": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, alpha, beta):
        z = (x - alpha) * (1.0 / beta)
        return -_LOG_PI - jnp.log(beta) - jnp.log1p(z * z)

    @classmethod
    def logcdf(cls, x, alpha, beta):
        # F = arccot(-z) / pi, arccot(a) = atan2(1, a): no 1/2 + atan(z)/pi cancellation in
        # the lower tail; its complement arccot(z) / pi is accurate in the upper one
        z = (x - alpha) / beta
        return log_from_p_or_q(jnp.arctan2(1.0, -z) / np.pi, jnp.arctan2(1.0, z) / np.pi)

    @classmethod
    def logccdf(cls, x, alpha, beta):
        return cls.logcdf(-x, -alpha, beta)  # symmetric about alpha

    @classmethod
    def sample(cls, key, params, shape):
        return params["alpha"] + params["beta"] * jax.random.cauchy(key, shape)


class HalfCauchy(Distribution):
    """HalfCauchy(beta): |Cauchy(0, beta)|, on the positive reals."""

    parametrizations = ({"beta": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, beta):
        z = x * (1.0 / beta)
        return float(np.log(2.0)) - _LOG_PI - jnp.log(beta) - jnp.log1p(z * z)

    @classmethod
    def logcdf(cls, x, beta):
        # F = 2 atan(z) / pi, 1 - F = 2 arccot(z) / pi = 2 atan2(1, z) / pi
        z = x / beta
        return log_from_p_or_q(2.0 / np.pi * jnp.arctan(z), 2.0 / np.pi * jnp.arctan2(1.0, z))

    @classmethod
    def logccdf(cls, x, beta):
        z = x / beta
        return log_from_p_or_q(2.0 / np.pi * jnp.arctan2(1.0, z), 2.0 / np.pi * jnp.arctan(z))

    @classmethod
    def sample(cls, key, params, shape):
        return params["beta"] * jnp.abs(jax.random.cauchy(key, shape))


class HalfStudentT(Distribution):
    """HalfStudentT(nu, sigma): |StudentT(nu, 0, sigma)|, on the positive reals."""

    parametrizations = ({"nu": C.positive, "sigma": C.positive},)
    support = C.positive

    @classmethod
    def logp(cls, x, nu, sigma):
        return _LOG_2 + StudentT.logp(x, nu, 0.0, sigma)

    @classmethod
    def logcdf(cls, x, nu, sigma):
        # P(X <= x) = P(|T| <= x / sigma) = I_{1 - w}(1/2, nu/2), its complement I_w(nu/2, 1/2)
        w, one_minus_w = _beta_arguments(nu, x / sigma)
        return log_betainc_pair(0.5 * nu, 0.5, w, one_minus_w)[1]

    @classmethod
    def logccdf(cls, x, nu, sigma):
        w, one_minus_w = _beta_arguments(nu, x / sigma)
        return log_betainc_pair(0.5 * nu, 0.5, w, one_minus_w)[0]

    @classmethod
    def sample(cls, key, params, shape):
        nu = jnp.broadcast_to(params["nu"], shape)
        return params["sigma"] * jnp.abs(jax.random.t(key, nu, shape))
