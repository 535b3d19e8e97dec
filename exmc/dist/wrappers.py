"""``Censored(dist, lower, upper)`` and ``Truncated(dist, lower, upper)``: distributions made
from a continuous family with a log-CDF (decision 53).

Each call returns a Distribution subclass whose parameters are the family's plus the bounds
given, ``lower`` and/or ``upper``. The bounds travel as ``bound_params``, which the builder
merges into the node's parameters, so a bound may be a constant (a number or an array, one
per observation) or the name of a node, like any parameter. The same arguments return the
same class, so two models built alike compare equal.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from exmc import constraints as C
from exmc.dist.base import Distribution
from exmc.dist.special import log_interval_mass, log_split
from exmc.errors import DistributionError

_BOUNDS = ("lower", "upper")
_CACHE: dict[tuple, type] = {}


def _key(value) -> tuple:
    if isinstance(value, str):
        return ("node", value)
    array = np.asarray(value, dtype=np.float64)
    return ("constant", array.shape, array.tobytes())


def _check_base(kind: str, dist, lower, upper) -> dict[str, object]:
    if not (isinstance(dist, type) and issubclass(dist, Distribution) and dist is not Distribution):
        raise DistributionError(None, f"{kind} expects an Exmc distribution such as exmc.Normal, got {dist!r}")
    if dist.discrete:
        raise DistributionError(None, f"{kind}({dist.__name__}): only continuous families can be {kind.lower()}")
    if not dist.has_cdf():
        raise DistributionError(None, f"{kind}({dist.__name__}): {dist.__name__} has no logcdf/logccdf")
    clash = [b for b in _BOUNDS if b in dist.param_names()]
    if clash:
        raise DistributionError(
            None, f"{kind}({dist.__name__}): its own parameter '{clash[0]}' would clash with the bound's name"
        )
    bounds = {name: value for name, value in zip(_BOUNDS, (lower, upper)) if value is not None}
    if not bounds:
        raise DistributionError(None, f"{kind}({dist.__name__}) needs a lower or an upper bound")
    for name, value in bounds.items():
        if isinstance(value, str):
            if not value:
                raise DistributionError(None, f"{kind}({dist.__name__}): the {name} bound is an empty node name")
            continue
        array = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            raise DistributionError(None, f"{kind}({dist.__name__}): the {name} bound must be finite (omit it for none)")
    return bounds


def _support(base: C.Constraint, bounds: Mapping[str, object], closed: bool) -> C.Constraint:
    """The base support cut at the bounds (closed for censoring: the bound is a value)."""
    lower, lower_open = ("lower", not closed) if "lower" in bounds else (base.lower, base.lower_open)
    upper, upper_open = ("upper", not closed) if "upper" in bounds else (base.upper, base.upper_open)
    left = "[" if not lower_open else "("
    right = "]" if not upper_open else ")"
    name = f"{base.describe()} within {left}{'-inf' if lower is None else lower}, {'inf' if upper is None else upper}{right}"
    return C.Constraint(name, lower=lower, upper=upper, lower_open=lower_open, upper_open=upper_open)


def _split(params: Mapping[str, object]):
    base = {k: v for k, v in params.items() if k not in _BOUNDS}
    return base, params.get("lower"), params.get("upper")


def _check_bounds(kind: str, dist, params) -> str | None:
    """lower < upper and the family's own check (each bound's domain, the family's support,
    is checked by the builder like any parameter's)."""
    base, lower, upper = _split(params)
    problem = dist.check_params(base)
    if problem:
        return problem
    if lower is not None and upper is not None and not np.all(np.asarray(lower) < np.asarray(upper)):
        return f"needs lower < upper, got lower={lower} and upper={upper}"
    return None


def _make(kind: str, dist, bounds: Mapping[str, object], namespace: dict) -> type:
    key = (kind, dist, tuple((k, _key(v)) for k, v in bounds.items()))
    if key in _CACHE:
        return _CACHE[key]
    # a bound's domain is the family's support: the builder checks constant bounds against
    # it, naming the node, and the run-time domain check (decision 54) node-valued ones
    extra = {name: dist.support for name in bounds}
    cls = type(
        f"{kind}({dist.__name__})",
        (Distribution,),
        {
            "base": dist,
            "bound_params": dict(bounds),
            "parametrizations": tuple({**p, **extra} for p in dist.parametrizations),
            "__doc__": f"{kind}({dist.__name__}, {', '.join(f'{k}={v!r}' for k, v in bounds.items())}).",
            "__module__": __name__,
            **namespace,
        },
    )
    _CACHE[key] = cls
    return cls


# ---------------------------------------------------------------------------------------
# Censored
# ---------------------------------------------------------------------------------------


def _censored_logp(cls, x, **params):
    """Below lower or above upper: impossible (-inf). At lower: log P(X <= lower); at upper:
    log P(X >= upper); between: the family's log-density (PyMC's Censored)."""
    base, lower, upper = _split(params)
    dist = cls.base
    out = dist.logp(x, **base)
    if lower is not None:
        out = jnp.where(x == lower, dist.logcdf(lower, **base), jnp.where(x < lower, -jnp.inf, out))
    if upper is not None:
        out = jnp.where(x == upper, dist.logccdf(upper, **base), jnp.where(x > upper, -jnp.inf, out))
    return out


def _censored_sample(cls, key, params, shape):
    base, lower, upper = _split(params)
    draws = cls.base.sample(key, base, shape)
    if lower is not None:
        draws = jnp.maximum(draws, lower)
    if upper is not None:
        draws = jnp.minimum(draws, upper)
    return draws


def Censored(dist, lower=None, upper=None) -> type[Distribution]:
    """``dist`` censored at ``lower`` and/or ``upper`` (PyMC's ``pm.Censored``).

    An observation equal to a bound stands for every value beyond it: it contributes
    log P(X <= lower) or log P(X >= upper), not the density. Values beyond a bound are
    impossible. The censored distribution has point masses at its bounds, so it is a
    likelihood only (observe it); like a discrete family it cannot be a free variable.

    Parameters
    ----------
    dist : a continuous Exmc family with ``logcdf`` (see ``Distribution.has_cdf``).
    lower, upper : the censoring bounds, numbers, arrays broadcasting against the data, or
        node names; at least one. Constant bounds must lie in ``dist``'s support.

    Example: right-censored survival times ``t = min(T, c)``:
    ``.rv("t", exmc.Censored(exmc.Weibull, upper=c), {"alpha": "k", "beta": "lam"}).obs("t_obs", "t", t)``.
    """
    bounds = _check_base("Censored", dist, lower, upper)
    return _make("Censored", dist, bounds, {
        "support": _support(dist.support, bounds, closed=True),
        "discrete": True,  # point masses at the bounds: a likelihood only (decision 53)
        "check_params": classmethod(lambda cls, params: _check_bounds("Censored", cls.base, params)),
        "logp": classmethod(_censored_logp),
        "sample": classmethod(_censored_sample),
    })


# ---------------------------------------------------------------------------------------
# Truncated
# ---------------------------------------------------------------------------------------


def _log_mass(dist, base, lower, upper):
    """log P(lower < X < upper), from the side of the median where nothing cancels."""
    zero, minus_inf = jnp.zeros(()), jnp.full((), -jnp.inf)
    log_f_lower = minus_inf if lower is None else dist.logcdf(lower, **base)
    log_s_lower = zero if lower is None else dist.logccdf(lower, **base)
    log_f_upper = zero if upper is None else dist.logcdf(upper, **base)
    log_s_upper = minus_inf if upper is None else dist.logccdf(upper, **base)
    return log_interval_mass(log_f_lower, log_s_lower, log_f_upper, log_s_upper)


def _truncated_logp(cls, x, **params):
    base, lower, upper = _split(params)
    inside = jnp.ones(jnp.shape(x), bool)
    if lower is not None:
        inside = inside & (x > lower)
    if upper is not None:
        inside = inside & (x < upper)
    out = cls.base.logp(x, **base) - _log_mass(cls.base, base, lower, upper)
    return jnp.where(inside, out, -jnp.inf)


def _truncated_log_f_and_s(cls, x, params):
    base, lower, upper = _split(params)
    x = jnp.clip(x, lower, upper)
    m = cls.base
    return log_split(_log_mass(m, base, lower, x), _log_mass(m, base, x, upper), _log_mass(m, base, lower, upper))


def _truncated_logcdf(cls, x, **params):
    return _truncated_log_f_and_s(cls, x, params)[0]


def _truncated_logccdf(cls, x, **params):
    return _truncated_log_f_and_s(cls, x, params)[1]


_MAX_ROUNDS = 10_000


def _truncated_sample(cls, key, params, shape):
    """Rejection: the family's draws, redrawn where they fall outside (at most 10,000 rounds:
    an interval of probability below ~1e-3 is better written with TruncatedNormal's inversion)."""
    base, lower, upper = _split(params)

    def inside(x):
        ok = jnp.ones(shape, bool)
        if lower is not None:
            ok = ok & (x > lower)
        if upper is not None:
            ok = ok & (x < upper)
        return ok

    def body(state):
        i, x = state
        fresh = jnp.broadcast_to(cls.base.sample(jax.random.fold_in(key, i), base, shape), shape)
        return i + 1, jnp.where(inside(x), x, fresh)

    x0 = jnp.broadcast_to(cls.base.sample(jax.random.fold_in(key, 0), base, shape), shape)
    _, x = lax.while_loop(lambda s: (s[0] < _MAX_ROUNDS) & ~jnp.all(inside(s[1])), body, (1, x0))
    return x


def Truncated(dist, lower=None, upper=None) -> type[Distribution]:
    """``dist`` restricted to (lower, upper) and renormalised: log p(x) - log(F(upper) - F(lower)),
    the normaliser taken where it does not cancel (``exmc.dist.special.log_interval_mass``).

    Usable as a prior (the transform follows the cut support: interval, or x = lower + e^y
    for a lower bound only) and as a likelihood. Parameters as for ``Censored``.
    """
    bounds = _check_base("Truncated", dist, lower, upper)
    return _make("Truncated", dist, bounds, {
        "support": _support(dist.support, bounds, closed=False),
        "check_params": classmethod(lambda cls, params: _check_bounds("Truncated", cls.base, params)),
        "logp": classmethod(_truncated_logp),
        "logcdf": classmethod(_truncated_logcdf),
        "logccdf": classmethod(_truncated_logccdf),
        "sample": classmethod(_truncated_sample),
    })
