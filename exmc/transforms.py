"""Bijections from unconstrained reals onto a support, with their log-Jacobians, and the registry.

``forward`` maps an unconstrained value ``y`` to the constrained value ``x`` (Stan's
"constrain"), ``inverse`` maps back, and ``log_det_jacobian(y)`` is log|dx/dy|.
The compiler, never a distribution, adds the log-Jacobian to the joint (decision 4).

The protocol (what a user's own ``Transform`` subclass implements):

- ``event_dims`` (class attribute, default 0): how many trailing axes the transform acts on
  jointly. 0 means elementwise: ``log_det_jacobian`` returns one value per element.
  Otherwise it returns one value per event (the leading, batch, axes).
- ``unconstrained_shape(shape)``: the shape of ``y`` for a constrained value of ``shape``
  (default: the same). The flat vector holds ``y``, so a transform may change dimension:
  ``simplex`` maps K-1 reals onto a K-vector summing to 1 (decision 41).
- ``check_shape(shape)``: None, or why the transform cannot act on a value of ``shape``.
- ``forward``, ``inverse``, ``log_det_jacobian``, ``maps_onto`` as below.

For a transform that changes dimension the log-Jacobian is that of the map from ``y`` to
the *free coordinates* of ``x`` (a simplex's first K-1 entries, a Cholesky factor's strictly
lower triangle), and the distributions on such sets give their densities with respect to
those same coordinates, so the joint density is the density of ``y`` (decision 41).

Bounds of the interval transform are arrays resolved by the compiler from the
distribution's parameters, so they may be other nodes' constrained values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp

from exmc import constraints as C
from exmc.constraints import Constraint


@dataclass(frozen=True)
class Transform:
    """Base class; ``name`` is what users pass as ``transform=``."""

    name: str
    event_dims: ClassVar[int] = 0

    def unconstrained_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of the unconstrained value for a constrained value of ``shape``."""
        return tuple(shape)

    def check_shape(self, shape: tuple[int, ...]) -> str | None:
        """None when the transform can act on a value of ``shape``, else the reason."""
        if len(shape) < self.event_dims:
            return f"transform '{self.name}' acts on the last {self.event_dims} axes; the value has shape {shape}"
        return None

    def forward(self, y, lower=None, upper=None):
        raise NotImplementedError

    def inverse(self, x, lower=None, upper=None):
        raise NotImplementedError

    def log_det_jacobian(self, y, lower=None, upper=None):
        raise NotImplementedError

    def maps_onto(self, support: Constraint) -> bool:
        """Whether the image of the real line under ``forward`` is exactly ``support``."""
        raise NotImplementedError


class _Identity(Transform):
    def forward(self, y, lower=None, upper=None):
        return y

    def inverse(self, x, lower=None, upper=None):
        return x

    def log_det_jacobian(self, y, lower=None, upper=None):
        return jnp.zeros_like(y)

    def maps_onto(self, support):
        return support == C.real


class _Log(Transform):
    def forward(self, y, lower=None, upper=None):
        return jnp.exp(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(x)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return y

    def maps_onto(self, support):
        return support == C.positive


class _Logit(Transform):
    def forward(self, y, lower=None, upper=None):
        return jax.nn.sigmoid(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(x) - jnp.log1p(-x)

    def log_det_jacobian(self, y, lower=None, upper=None):
        # log(s * (1 - s)) written so that neither factor rounds to 0 in the tails
        return jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y)

    def maps_onto(self, support):
        return support == C.unit_interval


class _Interval(Transform):
    def forward(self, y, lower=None, upper=None):
        return lower + (upper - lower) * jax.nn.sigmoid(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(x - lower) - jnp.log(upper - x)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return jnp.log(upper - lower) + jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y)

    def maps_onto(self, support):
        return (
            not support.integer
            and support.lower is not None
            and support.upper is not None
            and support.lower_open
            and support.upper_open
        )


class _LowerBound(Transform):
    """x = lower + e^y: a support bounded below only (a truncation's, e.g.); lower may be a
    node's value. Stan's lower-bounded scalar (Reference Manual, "Lower bounded scalar")."""

    def forward(self, y, lower=None, upper=None):
        return lower + jnp.exp(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(x - lower)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return y

    def maps_onto(self, support):
        return not support.integer and support.lower is not None and support.upper is None and support.lower_open


class _UpperBound(Transform):
    """x = upper - e^y: a support bounded above only."""

    def forward(self, y, lower=None, upper=None):
        return upper - jnp.exp(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(upper - x)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return y

    def maps_onto(self, support):
        return not support.integer and support.upper is not None and support.lower is None and support.upper_open


identity = _Identity("identity")
lower_bound = _LowerBound("lower_bound")
upper_bound = _UpperBound("upper_bound")
log = _Log("log")
logit = _Logit("logit")
interval = _Interval("interval")

from exmc.transforms_event import corr_cholesky, ordered, simplex, zero_sum  # noqa: E402

TRANSFORMS: dict[str, Transform] = {
    t.name: t for t in (identity, log, logit, interval, simplex, ordered, corr_cholesky, zero_sum)
}

# The registry: a distribution's support decides its default transform (decision 4).
_DEFAULTS: dict[Constraint, Transform] = {
    C.real: identity,
    C.positive: log,
    C.unit_interval: logit,
    C.simplex: simplex,
    C.corr_cholesky: corr_cholesky,
    C.zero_sum: zero_sum,
    C.ordered: ordered,
}


def default_transform(support: Constraint) -> Transform:
    """The transform a variable with this support gets unless the user says otherwise."""
    if support in _DEFAULTS:
        return _DEFAULTS[support]
    for transform in (interval, lower_bound, upper_bound):
        if transform.maps_onto(support):
            return transform
    raise KeyError(f"no transform for a variable supported on {support.describe()}")


def resolve_transform(choice: str | Transform | None, support: Constraint) -> Transform:
    """The transform for ``choice`` (None: the default), checked against ``support``.

    Raises ``ValueError`` with the reason; the builder turns it into a ``TransformError``
    naming the node.
    """
    if choice is None:
        return default_transform(support)
    if isinstance(choice, str):
        if choice not in TRANSFORMS:
            raise ValueError(f"unknown transform '{choice}'; known: {sorted(TRANSFORMS)}")
        choice = TRANSFORMS[choice]
    if not isinstance(choice, Transform):
        raise ValueError(f"transform must be a name or an exmc Transform, not {choice!r}")
    if not choice.maps_onto(support):
        raise ValueError(
            f"transform '{choice.name}' does not map the real line onto the support, "
            f"{support.describe()}"
        )
    return choice
