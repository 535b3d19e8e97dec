"""Sets of values: the supports of distributions and the domains of their parameters.

A constraint answers one question, ``contains(value, params)``, with numpy on constants.
Bounds may name a parameter of the distribution (``Interval("lower", "upper")``); when such a
parameter is not a constant (it references another node), the bound is not checked here and
the log-density is left to be -inf outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import jax.numpy as jnp
import numpy as np

Bound = float | str


def _bound(bound: Bound, params: Mapping[str, object]) -> np.ndarray | None:
    if isinstance(bound, str):
        value = params.get(bound)
        return None if value is None or isinstance(value, str) else np.asarray(value)
    return np.asarray(bound)


@dataclass(frozen=True)
class Constraint:
    """A set of real values; subclasses say which."""

    name: str
    integer: bool = False
    lower: Bound | None = None
    upper: Bound | None = None
    lower_open: bool = True
    upper_open: bool = True

    def contains(self, value: np.ndarray, params: Mapping[str, object] = {}) -> np.ndarray:
        """Elementwise membership test, on constants only (see module docstring)."""
        value = np.asarray(value, dtype=np.float64)
        ok = np.isfinite(value)
        if self.integer:
            ok &= value == np.round(value)
        lower = None if self.lower is None else _bound(self.lower, params)
        upper = None if self.upper is None else _bound(self.upper, params)
        if lower is not None:
            ok &= value > lower if self.lower_open else value >= lower
        if upper is not None:
            ok &= value < upper if self.upper_open else value <= upper
        return ok

    def holds(self, value, params: Mapping[str, object] = {}):
        """``contains`` in ``jax.numpy``, for values known only at run time (a det node's):
        traceable, bounds named by parameters resolved from ``params`` (any of them may be
        traced). Used by ``exmc.dist.domain`` to make the log-density -inf outside a domain."""
        ok = jnp.isfinite(value)
        if self.integer:
            ok = ok & (value == jnp.round(value))
        lower = params.get(self.lower) if isinstance(self.lower, str) else self.lower
        upper = params.get(self.upper) if isinstance(self.upper, str) else self.upper
        if lower is not None:
            ok = ok & ((value > lower) if self.lower_open else (value >= lower))
        if upper is not None:
            ok = ok & ((value < upper) if self.upper_open else (value <= upper))
        return ok

    def describe(self) -> str:
        return self.name


real = Constraint("real numbers")
positive = Constraint("positive numbers (> 0)", lower=0.0)
nonnegative = Constraint("non-negative numbers (>= 0)", lower=0.0, lower_open=False)
unit_interval = Constraint("the open interval (0, 1)", lower=0.0, upper=1.0)
closed_unit_interval = Constraint(
    "the closed interval [0, 1]", lower=0.0, upper=1.0, lower_open=False, upper_open=False
)
boolean = Constraint("{0, 1}", integer=True, lower=0.0, upper=1.0, lower_open=False, upper_open=False)
nonnegative_integer = Constraint("non-negative integers", integer=True, lower=0.0, lower_open=False)


def interval(lower: Bound, upper: Bound) -> Constraint:
    """The open interval (lower, upper); bounds may name parameters."""
    return Constraint(f"the interval ({lower}, {upper})", lower=lower, upper=upper)


def integer_interval(lower: Bound, upper: Bound) -> Constraint:
    """The integers lower, ..., upper; bounds may name parameters."""
    return Constraint(
        f"the integers {lower}..{upper}", integer=True, lower=lower, upper=upper,
        lower_open=False, upper_open=False,
    )


# ---------------------------------------------------------------------------------------
# Sets of vectors and matrices: membership is decided for a whole event (the trailing
# ``event_dims`` axes) and reported back on every element of it, so callers keep the
# elementwise protocol (``np.all(ok)``, the first index that fails).
# ---------------------------------------------------------------------------------------

# Sums and norms of data typed in by hand (or read from a file) are off by rounding.
EVENT_TOL = 1e-8


@dataclass(frozen=True)
class EventConstraint(Constraint):
    """A constraint on whole events: vectors (``event_dims=1``) or matrices (2)."""

    event_dims: int = 1

    def contains(self, value, params={}):
        value = np.asarray(value, dtype=np.float64)
        if value.ndim < self.event_dims:
            return np.zeros(value.shape, bool)
        ok = np.all(np.isfinite(value), axis=tuple(range(-self.event_dims, 0)))
        with np.errstate(invalid="ignore"):
            ok = ok & self._event_ok(np.where(np.isfinite(value), value, 0.0), params)
        return np.broadcast_to(ok.reshape(ok.shape + (1,) * self.event_dims), value.shape)

    def _event_ok(self, value: np.ndarray, params) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class _Simplex(EventConstraint):
    def _event_ok(self, value, params):
        inside = np.all((value > 0.0) & (value < 1.0), axis=-1) if value.shape[-1] > 1 else np.all(value == 1.0, axis=-1)
        return inside & (np.abs(value.sum(-1) - 1.0) <= EVENT_TOL)


@dataclass(frozen=True)
class _Counts(EventConstraint):
    """Non-negative integer vectors summing to the parameter ``upper`` names (``n``)."""

    def _event_ok(self, value, params):
        ok = np.all((value >= 0) & (value == np.round(value)), axis=-1)
        total = _bound(self.upper, params)
        if total is not None:
            ok = ok & (value.sum(-1) == total)
        return ok


@dataclass(frozen=True)
class _ZeroSum(EventConstraint):
    def _event_ok(self, value, params):
        scale = 1.0 + np.max(np.abs(value), axis=-1)
        return np.abs(value.sum(-1)) <= EVENT_TOL * scale * value.shape[-1]


@dataclass(frozen=True)
class _Ordered(EventConstraint):
    def _event_ok(self, value, params):
        return np.all(np.diff(value, axis=-1) > 0, axis=-1)


@dataclass(frozen=True)
class _CorrCholesky(EventConstraint):
    """Lower-triangular, positive diagonal, rows of unit length: L with L L^T a correlation."""

    def _event_ok(self, value, params):
        n = value.shape[-1]
        if value.shape[-2] != n:
            return np.zeros(value.shape[:-2], bool)
        upper = np.triu(np.ones((n, n), bool), 1)
        ok = np.all(np.where(upper, value == 0.0, True), axis=(-2, -1))
        ok &= np.all(np.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)
        return ok & np.all(np.abs(np.sum(value * value, -1) - 1.0) <= EVENT_TOL, axis=-1)


@dataclass(frozen=True)
class CategoryConstraint(Constraint):
    """The integers 0..K-1, K the length of the last axis of the first parameter named in
    ``upper`` ("p|logit_p" or "cutpoints+1") that is a constant."""

    def contains(self, value, params={}):
        value = np.asarray(value, dtype=np.float64)
        ok = np.isfinite(value) & (value == np.round(value)) & (value >= 0)
        names, extra = self.upper.split("+") if "+" in self.upper else (self.upper, "0")
        for name in names.split("|"):
            given = params.get(name)
            if given is not None and not isinstance(given, str) and np.ndim(given) >= 1:
                ok &= value <= np.shape(given)[-1] + int(extra) - 1
                break
        return ok


simplex = _Simplex("the probability simplex (entries in (0, 1) summing to 1 along the last axis)")
counts = _Counts("non-negative integer counts summing to n along the last axis", upper="n")
zero_sum = _ZeroSum("vectors summing to 0 along the last axis")
ordered = _Ordered("strictly increasing vectors along the last axis")
corr_cholesky = _CorrCholesky(
    "Cholesky factors of correlation matrices (lower triangular, positive diagonal, unit rows)",
    event_dims=2,
)
category = CategoryConstraint("the categories 0..K-1 (K: the length of p's last axis)", integer=True, upper="p|logit_p")
ordinal = CategoryConstraint("the categories 0..K (K: the number of cutpoints)", integer=True, upper="cutpoints+1")
positive_integer = Constraint("positive integers", integer=True, lower=1.0, lower_open=False)
