"""The IR's nodes: frozen records joined by string references."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Union

import numpy as np

from exmc.dist.base import Distribution
from exmc.transforms import Transform

# A parameter is a constant (read-only float64 array) or the name of an rv or det node.
ParamValue = Union[np.ndarray, str]


@dataclass(frozen=True)
class RV:
    """A random variable ``name ~ dist(**params)``.

    ``shape`` is None until the compiler infers it (from observed data or the parameters).
    ``transform`` is the resolved Transform, None for discrete distributions.
    ``noncenter=False`` exempts the node from the non-centering rewrite.
    ``aux_for`` names the user's node this one stands in for, when a rewrite made it.
    """

    name: str
    dist: type[Distribution]
    params: Mapping[str, ParamValue]
    shape: tuple[int, ...] | None = None
    transform: Transform | None = None
    noncenter: bool = True
    aux_for: str | None = None

    def refs(self) -> tuple[str, ...]:
        return tuple(v for v in self.params.values() if isinstance(v, str))


@dataclass(frozen=True)
class Obs:
    """An observation: ``rv`` takes the value ``data`` and stops being a free parameter."""

    name: str
    rv: str
    data: np.ndarray

    def refs(self) -> tuple[str, ...]:
        return (self.rv,)


@dataclass(frozen=True)
class Det:
    """A deterministic node ``name = fn(*deps)``, written with ``jax.numpy``.

    ``origin`` says which rewrite made it (None for the user's own det nodes).
    """

    name: str
    fn: Callable
    deps: tuple[str, ...]
    origin: str | None = None

    def refs(self) -> tuple[str, ...]:
        return self.deps


Node = Union[RV, Obs, Det]


@dataclass(frozen=True)
class Rewrite:
    """What a rewrite pass changed: the node, the auxiliary nodes it made, and how."""

    pass_name: str
    node: str
    aux: tuple[str, ...]
    detail: str
    # Enough to invert the rewrite (init values given for the user's node): param -> value.
    params: Mapping[str, ParamValue] = field(default_factory=lambda: MappingProxyType({}))

    def __str__(self) -> str:
        return f"{self.pass_name}: {self.detail}"


def frozen_params(params: Mapping[str, ParamValue]) -> Mapping[str, ParamValue]:
    return MappingProxyType(dict(params))


def format_value(value: ParamValue) -> str:
    if isinstance(value, str):
        return value
    if value.ndim == 0:
        return f"{float(value):g}"
    if value.size <= 4:
        return "[" + ", ".join(f"{v:g}" for v in value.ravel()) + "]"
    return f"<array {value.shape}>"
