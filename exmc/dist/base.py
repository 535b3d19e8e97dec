"""The distribution protocol.

A distribution is a class used as a value (``exmc.Normal``), never instantiated. It declares:

- ``parametrizations``: the accepted parameter sets, each a dict name -> domain. Most
  distributions have one; ``Bernoulli`` accepts ``p`` or ``logit_p``.
- ``support``: the set its values live in (the compiler maps it to a default transform).
- ``logp(x, **params)``: log-density in ``jax.numpy``, without any Jacobian: one value per
  event (per element for the scalar families).
- ``sample(key, params, shape)``: draws for predictive checks (``shape`` is the whole value's,
  batch and event: whole events are drawn).
- ``check_params(params)``: relations between constant parameters (``lower < upper``).

Event shapes (decision 40). A value's shape is ``batch + event``: ``event_dims`` trailing
axes form one event (a vector of MvNormal, a matrix of LKJCholesky; 0 for the scalar
families), and each parameter has its own ``param_event_dims`` trailing axes (``cov``: 2,
``mu``: 1, ``p`` of a Categorical: 1; default 0). The parameters' leading (batch) axes
broadcast to the value's batch axes; ``event_shape`` relates the parameters' event shapes
to the value's and says which parameter disagrees with which, and how.
- ``logcdf(x, **params)`` and ``logccdf(x, **params)``: log P(X <= x) and log P(X > x), where
  a stable form exists in JAX with derivatives in every parameter (``has_cdf()`` says which);
  ``exmc.Censored`` and ``exmc.Truncated`` need them.
"""

from __future__ import annotations

from typing import ClassVar, Mapping

import jax.numpy as jnp
import numpy as np

from exmc.constraints import Constraint


class Distribution:
    """Abstract base of every Exmc distribution."""

    parametrizations: ClassVar[tuple[dict[str, Constraint], ...]]
    support: ClassVar[Constraint]
    discrete: ClassVar[bool] = False
    event_dims: ClassVar[int] = 0
    param_event_dims: ClassVar[Mapping[str, int]] = {}
    # parameters a distribution carries itself (the bounds of exmc.Censored / exmc.Truncated):
    # the builder adds them to the node's parameters, so node names among them are references
    bound_params: ClassVar[Mapping[str, object]] = {}

    def __init__(self):
        raise TypeError(
            f"{type(self).__name__} is used as a class: pass exmc.{type(self).__name__} "
            "to Builder.rv with a dict of parameters"
        )

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        names: list[str] = []
        for p in cls.parametrizations:
            names += [n for n in p if n not in names]
        return tuple(names)

    @classmethod
    def match(cls, given: set[str]) -> dict[str, Constraint]:
        """The parametrization that ``given`` names exactly; ``ValueError`` saying why not."""
        for p in cls.parametrizations:
            if set(p) == given:
                return p
        known = cls.param_names()
        unknown = sorted(given - set(known))
        if unknown:
            raise ValueError(
                f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters are {', '.join(known)}"
            )
        forms = " or ".join("(" + ", ".join(p) + ")" for p in cls.parametrizations)
        missing = sorted(set(min(cls.parametrizations, key=lambda p: len(set(p) - given))) - given)
        if missing and len(cls.parametrizations) == 1:
            raise ValueError(f"{cls.__name__} needs parameter {', '.join(map(repr, missing))}")
        raise ValueError(f"{cls.__name__} takes exactly one of the forms {forms}; got {sorted(given)}")

    @classmethod
    def check_params(cls, params: Mapping[str, np.ndarray]) -> str | None:
        """A problem with the relation between constant parameters, or None."""
        return None

    @classmethod
    def runtime_relations(cls, params: Mapping[str, object], runtime: frozenset[str]) -> list:
        """Boolean arrays that are all true where the relations ``check_params`` states hold,
        for the parameters named in ``runtime`` (values of other nodes, known only at run
        time): weights summing to 1, ordered cutpoints. Where one fails the log-density is
        -inf (``exmc.dist.domain``, decision 63). Default: none."""
        return []

    @classmethod
    def event_shape(
        cls,
        events: Mapping[str, tuple[int, ...]],
        value_event: tuple[int, ...] | None,
        constants: Mapping[str, np.ndarray],
    ) -> tuple[int, ...]:
        """The value's event shape from the parameters' event shapes ``events`` (and the
        value's own, ``value_event``, when it is known from ``shape=`` or observed data).

        ``constants``: the parameters given as numbers. Raises ``ValueError`` saying which
        parameter's event shape disagrees with what, both shapes given.
        """
        return ()

    @classmethod
    def logp(cls, x, **params):
        raise NotImplementedError

    @classmethod
    def sample(cls, key, params: Mapping[str, jnp.ndarray], shape: tuple[int, ...]):
        raise NotImplementedError

    @classmethod
    def logcdf(cls, x, **params):
        raise NotImplementedError(f"{cls.__name__} has no logcdf")

    @classmethod
    def logccdf(cls, x, **params):
        raise NotImplementedError(f"{cls.__name__} has no logccdf")

    @classmethod
    def has_cdf(cls) -> bool:
        """Whether ``logcdf`` and ``logccdf`` are implemented."""
        return cls.logcdf.__func__ is not Distribution.logcdf.__func__ and (
            cls.logccdf.__func__ is not Distribution.logccdf.__func__
        )


def half_log_2pi() -> float:
    return 0.5 * float(np.log(2.0 * np.pi))


def common_event(events: Mapping[str, tuple[int, ...]], names, what: str) -> tuple[int, ...]:
    """The broadcast of the event shapes of parameters ``names`` (those present), each of
    which must equal it or be all ones; ``ValueError`` naming the two that disagree."""
    present = [n for n in names if n in events]
    out: tuple[int, ...] = ()
    first = None
    for name in present:
        shape = events[name]
        if all(d == 1 for d in shape):
            continue
        if first is None:
            out, first = shape, name
        elif shape != out:
            raise ValueError(
                f"parameter '{name}' has {what} {shape[-1] if len(shape) == 1 else shape}, parameter "
                f"'{first}' has {out[-1] if len(out) == 1 else out} (event shapes {shape} and {out})"
            )
    if first is None and present:
        out = events[present[0]]
    return out
