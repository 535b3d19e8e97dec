"""The Student-t family: StudentT, Cauchy (nu = 1), HalfCauchy, HalfStudentT."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution

_LOG_PI = float(np.log(np.pi))
_LOG_2 = float(np.log(2.0))


class StudentT(Distribution):
    """StudentT(nu, mu, sigma): location-scale Student-t with nu degrees of freedom."""

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
    def sample(cls, key, params, shape):
        nu = jnp.broadcast_to(params["nu"], shape)
        return params["mu"] + params["sigma"] * jax.random.t(key, nu, shape)


class Cauchy(Distribution):
    """Cauchy(alpha, beta) with location alpha and scale beta."""

    parametrizations = ({"alpha": C.real, "beta": C.positive},)
    support = C.real

    @classmethod
    def logp(cls, x, alpha, beta):
        z = (x - alpha) * (1.0 / beta)
        return -_LOG_PI - jnp.log(beta) - jnp.log1p(z * z)

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
    def sample(cls, key, params, shape):
        nu = jnp.broadcast_to(params["nu"], shape)
        return params["sigma"] * jnp.abs(jax.random.t(key, nu, shape))
