"""Distributions of vectors and matrices: MvNormal, LKJCholesky, Dirichlet, ZeroSumNormal,
GaussianRandomWalk. The event is the last axis (the last two for LKJCholesky); leading axes
are a batch, and ``logp`` returns one value per event (decision 40)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln, gammaln

from exmc import constraints as C
from exmc.dist.base import Distribution, half_log_2pi
from exmc.transforms import corr_cholesky


def _solve_lower(L, b):
    """L^{-1} b for lower-triangular L (..., k, k) and b (..., k), batches broadcast."""
    k = b.shape[-1]
    if L.ndim == 2:  # one factor for every event: one solve with the events as columns
        flat = jnp.reshape(b, (-1, k)).T
        return jax.scipy.linalg.solve_triangular(L, flat, lower=True).T.reshape(b.shape)
    batch = jnp.broadcast_shapes(L.shape[:-2], b.shape[:-1])
    L = jnp.broadcast_to(L, batch + (k, k))
    b = jnp.broadcast_to(b, batch + (k,))
    return jax.lax.linalg.triangular_solve(L, b[..., None], left_side=True, lower=True)[..., 0]


def _matvec(A, v):
    return jnp.einsum("...ij,...j->...i", A, v)


def _diagonal(a):
    return jnp.diagonal(a, axis1=-2, axis2=-1)


def _is_symmetric_pd(a: np.ndarray) -> bool:
    if a.shape[-1] != a.shape[-2]:
        return True  # not square: the shape check says so, naming both shapes
    if not np.allclose(a, np.swapaxes(a, -1, -2), rtol=1e-10, atol=1e-12):
        return False
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


class MvNormal(Distribution):
    """MvNormal(mu, cov), MvNormal(mu, chol) or MvNormal(mu, tau): the multivariate normal on
    the last axis, with covariance ``cov``, its lower Cholesky factor ``chol`` (cov = chol
    chol^T; only the lower triangle is read) or precision ``tau`` (cov = tau^{-1}).
    A factor with a non-positive diagonal (or a cov / tau that is not positive definite)
    reached at run time gives -inf."""

    parametrizations = (
        {"mu": C.real, "cov": C.real},
        {"mu": C.real, "chol": C.real},
        {"mu": C.real, "tau": C.real},
    )
    support = C.real
    event_dims = 1
    param_event_dims = {"mu": 1, "cov": 2, "chol": 2, "tau": 2}

    @staticmethod
    def _matrix(events):
        return next(p for p in ("cov", "chol", "tau") if p in events)

    @classmethod
    def event_shape(cls, events, value_event, constants):
        name = cls._matrix(events)
        m = events[name]
        if m[0] != m[1]:
            raise ValueError(f"parameter '{name}' must be square on its last two axes, got event shape {m}")
        k = m[0]
        mu = events["mu"]
        if mu not in ((1,), (k,)):
            raise ValueError(
                f"parameter 'mu' of event shape {mu} does not match parameter '{name}' of event shape {m}"
            )
        if value_event is not None and value_event != (k,):
            raise ValueError(f"the value's event shape {value_event} does not match parameter '{name}' of event shape {m}")
        return (k,)

    @classmethod
    def check_params(cls, params):
        for name in ("cov", "tau"):
            if name in params and params[name].ndim >= 2 and not _is_symmetric_pd(params[name]):
                return f"parameter '{name}' must be a symmetric positive definite matrix"
        chol = params.get("chol")
        if chol is not None and chol.ndim >= 2 and chol.shape[-1] == chol.shape[-2]:
            if np.any(np.triu(chol, 1) != 0.0):
                return "parameter 'chol' must be lower triangular (a Cholesky factor), its upper triangle holds non-zeros"
            if np.any(np.diagonal(chol, axis1=-2, axis2=-1) <= 0.0):
                return "parameter 'chol' must have a positive diagonal"
        return None

    @staticmethod
    def _factor(cov=None, chol=None, tau=None):
        if chol is not None:
            return chol
        return jnp.linalg.cholesky(cov if cov is not None else tau)

    @classmethod
    def logp(cls, x, mu, cov=None, chol=None, tau=None):
        L = cls._factor(cov, chol, tau)
        k = x.shape[-1]
        d = _diagonal(L)
        ok = jnp.all(d > 0.0, -1)  # NaN (a failed Cholesky) fails too
        log_d = jnp.sum(jnp.log(jnp.where(d > 0.0, d, 1.0)), -1)
        diff = x - mu
        if tau is not None:  # tau = L L^T: the quadratic form is |L^T diff|^2, log det cov = -2 sum log d
            z = jnp.einsum("...ji,...j->...i", jnp.tril(L), diff)
            value = -0.5 * jnp.sum(z * z, -1) + log_d - k * half_log_2pi()
        else:
            z = _solve_lower(jnp.where(ok[..., None, None], L, jnp.eye(k, dtype=L.dtype)), diff)
            value = -0.5 * jnp.sum(z * z, -1) - log_d - k * half_log_2pi()
        return jnp.where(ok, value, -jnp.inf)

    @classmethod
    def sample(cls, key, params, shape):
        L = cls._factor(params.get("cov"), params.get("chol"), params.get("tau"))
        z = jax.random.normal(key, shape)
        if "tau" in params:  # cov = L^{-T} L^{-1}: x = mu + L^{-T} z
            Lt = jnp.broadcast_to(jnp.swapaxes(L, -1, -2), shape[:-1] + L.shape[-2:])
            step = jax.lax.linalg.triangular_solve(Lt, z[..., None], left_side=True, lower=False)[..., 0]
        else:
            step = _matvec(jnp.tril(L), z)
        return params["mu"] + step


def lkj_log_normalizer(n: int, eta):
    """log of the LKJ(eta) density's constant on n x n correlation Cholesky factors: by
    Lewandowski, Kurowicka & Joe (2009, section 3.2) the canonical partial correlations of
    column j are independent Beta(b_j, b_j) on (-1, 1), b_j = eta + (n - 2 - j) / 2; column j
    has n - 1 - j of them."""
    total = 0.0
    for j in range(n - 1):
        b = eta + 0.5 * (n - 2 - j)
        total = total - (n - 1 - j) * ((2.0 * b - 1.0) * math.log(2.0) + betaln(b, b))
    return total


class LKJCholesky(Distribution):
    """LKJCholesky(n, eta): the lower Cholesky factor L of an n x n correlation matrix
    L L^T ~ LKJ(eta) (Lewandowski, Kurowicka & Joe 2009; NumPyro's name). Density with
    respect to the strictly lower triangle of L (Stan's ``lkj_corr_cholesky``):
    log p(L) = sum_{i=1}^{n-1} (n - i - 3 + 2 eta) log L_ii + log c_n(eta), rows from 0.
    ``n`` is a number of the model, not a reference: it fixes the shape."""

    parametrizations = ({"n": C.positive_integer, "eta": C.positive},)
    support = C.corr_cholesky
    event_dims = 2
    constant_params = ("n",)

    @classmethod
    def check_params(cls, params):
        if "n" in params and params["n"].ndim != 0:
            return f"parameter 'n' must be one number (the matrix size), got shape {params['n'].shape}"
        return None

    @classmethod
    def event_shape(cls, events, value_event, constants):
        n = int(constants["n"])
        if value_event is not None and value_event != (n, n):
            raise ValueError(f"the value's event shape {value_event} does not match parameter 'n' = {n}, an event of shape ({n}, {n})")
        return (n, n)

    @classmethod
    def logp(cls, x, n, eta):
        k = x.shape[-1]
        eta = jnp.asarray(eta)
        ok = eta > 0.0
        safe = jnp.where(ok, eta, 1.0)
        i = jnp.arange(1, k, dtype=x.dtype)
        coeff = k - i - 3.0 + 2.0 * safe[..., None]
        value = jnp.sum(coeff * jnp.log(_diagonal(x)[..., 1:]), -1) + lkj_log_normalizer(k, safe)
        return jnp.where(ok, value, -jnp.inf)

    @classmethod
    def sample(cls, key, params, shape):
        n = shape[-1]
        _, cols = np.tril_indices(n, -1)
        b = jnp.asarray(params["eta"])[..., None] + 0.5 * (n - 2 - cols)
        b = jnp.broadcast_to(b, shape[:-2] + (len(cols),))
        z = 2.0 * jax.random.beta(key, b, b) - 1.0
        tiny = jnp.finfo(z.dtype).eps
        return corr_cholesky.forward(jnp.arctanh(jnp.clip(z, -1.0 + tiny, 1.0 - tiny)))


class Dirichlet(Distribution):
    """Dirichlet(a) on the simplex of the last axis; density with respect to its first K-1
    entries (as scipy.stats.dirichlet). A scalar ``a`` (or event shape (1,)) is symmetric."""

    parametrizations = ({"a": C.positive},)
    support = C.simplex
    event_dims = 1
    param_event_dims = {"a": 1}

    @classmethod
    def event_shape(cls, events, value_event, constants):
        a = events["a"]
        if value_event is None:
            if a[0] < 2:
                raise ValueError(f"parameter 'a' of event shape {a} gives fewer than 2 categories; give shape= for a symmetric Dirichlet")
            return a
        if a not in ((1,), value_event):
            raise ValueError(f"parameter 'a' of event shape {a} does not match the value's event shape {value_event}")
        if value_event[0] < 2:
            raise ValueError(f"a Dirichlet needs at least 2 categories, the value's event shape is {value_event}")
        return value_event

    @classmethod
    def logp(cls, x, a):
        a = jnp.broadcast_to(a, jnp.broadcast_shapes(jnp.shape(a), x.shape[-1:]))
        log_norm = gammaln(jnp.sum(a, -1)) - jnp.sum(gammaln(a), -1)
        return jnp.sum((a - 1.0) * jnp.log(x), -1) + log_norm

    @classmethod
    def sample(cls, key, params, shape):
        a = jnp.broadcast_to(params["a"], shape)
        return jax.random.dirichlet(key, a, shape[:-1])


class ZeroSumNormal(Distribution):
    """ZeroSumNormal(sigma): Normal(0, sigma) vectors constrained to sum to 0 on the last
    axis (PyMC's, one zero-sum axis): x ~ N(0, sigma^2 (I - 1 1^T / K)). Density with respect
    to the first K-1 entries, log p = -|x|^2 / (2 sigma^2) - (K-1) log(sigma sqrt(2 pi))
    + log(K) / 2 (PyMC's differs by the constant log(K) / 2: it is written against the
    surface measure). The event size comes from ``shape=``."""

    parametrizations = ({"sigma": C.positive},)
    support = C.zero_sum
    event_dims = 1

    @classmethod
    def event_shape(cls, events, value_event, constants):
        if value_event is None:
            raise ValueError("ZeroSumNormal needs shape=: its event (the last axis, summing to 0) is not implied by sigma")
        if value_event[0] < 2:
            raise ValueError(f"a zero-sum vector needs at least 2 entries, the value's event shape is {value_event}")
        return value_event

    @classmethod
    def logp(cls, x, sigma):
        k = x.shape[-1]
        sumsq = jnp.sum(x * x, -1)
        return -0.5 * sumsq / (sigma * sigma) - (k - 1) * (jnp.log(sigma) + half_log_2pi()) + 0.5 * math.log(k)

    @classmethod
    def sample(cls, key, params, shape):
        z = jnp.expand_dims(params["sigma"], -1) * jax.random.normal(key, shape)
        return z - jnp.mean(z, -1, keepdims=True)


class GaussianRandomWalk(Distribution):
    """GaussianRandomWalk(mu, sigma) along the last axis: x_t - x_{t-1} ~ Normal(mu, sigma)
    with x_{-1} = 0, so x_0 ~ Normal(mu, sigma) (NumPyro's start; PyMC's default start
    distribution is a wide Normal, decision 42). The length comes from ``shape=``."""

    parametrizations = ({"mu": C.real, "sigma": C.positive},)
    support = C.real
    event_dims = 1

    @classmethod
    def event_shape(cls, events, value_event, constants):
        if value_event is None:
            raise ValueError("GaussianRandomWalk needs shape=: its length (the last axis) is not implied by mu and sigma")
        return value_event

    @classmethod
    def logp(cls, x, mu, sigma):
        steps = jnp.concatenate([x[..., :1], jnp.diff(x, axis=-1)], -1)
        mu, sigma = jnp.expand_dims(mu, -1), jnp.expand_dims(sigma, -1)
        z = (steps - mu) / sigma
        return jnp.sum(-0.5 * z * z - jnp.log(sigma) - half_log_2pi(), -1)

    @classmethod
    def sample(cls, key, params, shape):
        mu, sigma = jnp.expand_dims(params["mu"], -1), jnp.expand_dims(params["sigma"], -1)
        return jnp.cumsum(mu + sigma * jax.random.normal(key, shape), -1)
