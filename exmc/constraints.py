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
