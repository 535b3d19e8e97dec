"""Discrete distributions over categories and counts: Categorical, OrderedLogistic,
Multinomial (likelihoods only, decision 11). Categories are numbered 0..K-1."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln, xlogy

from exmc import constraints as C
from exmc.dist.base import Distribution

SUM_TOL = 1e-8  # constant probability vectors typed in by hand sum to 1 up to rounding


def simplex_problem(params, name: str) -> str | None:
    p = params.get(name)
    if p is not None and p.ndim >= 1 and np.any(np.abs(p.sum(-1) - 1.0) > SUM_TOL):
        total = p.sum(-1)
        bad = float(np.ravel(total)[np.argmax(np.ravel(np.abs(total - 1.0)))])
        return f"parameter '{name}' must sum to 1 along its last axis, got a sum of {bad:.12g}"
    return None


def simplex_holds(params, runtime, name: str) -> list:
    """[whether ``params[name]`` sums to 1 on its last axis] when it comes from a node at run
    time (the builder's ``simplex_problem`` for constants, with the same tolerance)."""
    if name not in runtime or name not in params:
        return []
    return [jnp.abs(jnp.sum(params[name], -1) - 1.0) <= SUM_TOL]


def _pick(table, x):
    """table[..., x] for integer-valued float x (..., ), table (..., K): batches broadcast."""
    idx = jnp.asarray(x).astype(jnp.int32)
    table = jnp.broadcast_to(table, jnp.broadcast_shapes(table.shape[:-1], idx.shape) + table.shape[-1:])
    idx = jnp.broadcast_to(idx, table.shape[:-1])
    return jnp.take_along_axis(table, idx[..., None], -1)[..., 0]


class Categorical(Distribution):
    """Categorical(p) or Categorical(logit_p): one of the categories 0..K-1, K the length of
    the parameter's last axis; ``logit_p`` are unnormalised log-probabilities (softmax)."""

    parametrizations = ({"p": C.closed_unit_interval}, {"logit_p": C.real})
    support = C.category
    discrete = True
    param_event_dims = {"p": 1, "logit_p": 1}

    @classmethod
    def check_params(cls, params):
        return simplex_problem(params, "p")

    @classmethod
    def runtime_relations(cls, params, runtime):
        return simplex_holds(params, runtime, "p")

    @staticmethod
    def _log_p(p=None, logit_p=None):
        return jnp.log(p) if p is not None else jax.nn.log_softmax(logit_p, -1)

    @classmethod
    def logp(cls, x, p=None, logit_p=None):
        return _pick(cls._log_p(p, logit_p), x)

    @classmethod
    def sample(cls, key, params, shape):
        log_p = cls._log_p(params.get("p"), params.get("logit_p"))
        log_p = jnp.broadcast_to(log_p, tuple(shape) + log_p.shape[-1:])
        return jax.random.categorical(key, log_p, -1).astype(jnp.result_type(float))


class OrderedLogistic(Distribution):
    """OrderedLogistic(eta, cutpoints): category k of 0..K (K cutpoints, increasing on the last
    axis) with P(k) = logistic(eta - c_{k-1}) - logistic(eta - c_k), c_{-1} = -inf, c_K = inf
    (PyMC's). Computed as log sigma(a) + log sigma(-b) + log(1 - e^{b-a}), a = eta - c_{k-1},
    b = eta - c_k, which keeps its digits in both tails. Cutpoints out of order at run time
    give -inf."""

    parametrizations = ({"eta": C.real, "cutpoints": C.real},)
    support = C.ordinal
    discrete = True
    param_event_dims = {"cutpoints": 1}

    @classmethod
    def check_params(cls, params):
        c = params.get("cutpoints")
        if c is not None and c.ndim >= 1 and np.any(np.diff(c, axis=-1) <= 0):
            return "parameter 'cutpoints' must be strictly increasing along its last axis"
        return None

    @classmethod
    def runtime_relations(cls, params, runtime):
        if "cutpoints" not in runtime:
            return []
        return [jnp.diff(params["cutpoints"], axis=-1) > 0]

    @staticmethod
    def _bounds(cutpoints):
        inf = jnp.full(cutpoints.shape[:-1] + (1,), jnp.inf, cutpoints.dtype)
        return jnp.concatenate([-inf, cutpoints], -1), jnp.concatenate([cutpoints, inf], -1)

    @classmethod
    def logp(cls, x, eta, cutpoints):
        lower, upper = cls._bounds(cutpoints)
        lo, hi = _pick(lower, x), _pick(upper, x)
        ok = hi > lo
        a = eta - lo
        b = eta - jnp.where(ok, hi, lo + 1.0)
        value = jax.nn.log_sigmoid(a) + jax.nn.log_sigmoid(-b) + jnp.log1p(-jnp.exp(b - a))
        return jnp.where(ok, value, -jnp.inf)

    @classmethod
    def sample(cls, key, params, shape):
        c = jnp.broadcast_to(params["cutpoints"], tuple(shape) + params["cutpoints"].shape[-1:])
        eta = jnp.broadcast_to(params["eta"], shape)
        u = jax.random.logistic(key, shape)
        # the latent eta + u falls between consecutive cutpoints: its category
        return jnp.sum(eta[..., None] + u[..., None] > c, -1).astype(jnp.result_type(float))


class Multinomial(Distribution):
    """Multinomial(n, p): counts of K categories (the last axis) over n trials."""

    parametrizations = ({"n": C.nonnegative_integer, "p": C.closed_unit_interval},)
    support = C.counts
    discrete = True
    event_dims = 1
    param_event_dims = {"p": 1}

    @classmethod
    def check_params(cls, params):
        return simplex_problem(params, "p")

    @classmethod
    def runtime_relations(cls, params, runtime):
        return simplex_holds(params, runtime, "p")

    @classmethod
    def event_shape(cls, events, value_event, constants):
        p = events["p"]
        if value_event is not None and p != value_event:
            raise ValueError(f"parameter 'p' of event shape {p} does not match the value's event shape {value_event}")
        return p

    @classmethod
    def logp(cls, x, n, p):
        return gammaln(n + 1.0) - jnp.sum(gammaln(x + 1.0), -1) + jnp.sum(xlogy(x, p), -1)

    @classmethod
    def sample(cls, key, params, shape):
        # one category at a time: x_k ~ Binomial(n - x_<k, p_k / sum_{j>=k} p_j)
        k = shape[-1]
        p = jnp.broadcast_to(params["p"], shape)
        rest = jnp.flip(jnp.cumsum(jnp.flip(p, -1), -1), -1)
        left = jnp.broadcast_to(params["n"], shape[:-1]).astype(p.dtype)
        counts = []
        for i, sub in enumerate(jax.random.split(key, k - 1) if k > 1 else []):
            q = jnp.clip(p[..., i] / jnp.where(rest[..., i] > 0, rest[..., i], 1.0), 0.0, 1.0)
            c = jax.random.binomial(sub, left, q, shape[:-1])
            counts.append(c)
            left = left - c
        return jnp.stack(counts + [left], -1)
