"""The IR's nodes: frozen records joined by string references."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Union

import numpy as np

from exmc.dist.base import Distribution
from exmc.frozen import FrozenMap
from exmc.transforms import Transform

# Field metadata of what only labels a model (named dimensions): the fingerprint leaves such
# fields out, so relabelling a model (or adding dims) does not make it another model.
LABELS_ONLY = MappingProxyType({"fingerprint": False})

# A parameter is a constant (read-only float64 array) or the name of an rv or det node.
ParamValue = Union[np.ndarray, str]


@dataclass(frozen=True)
class RV:
    """A random variable ``name ~ dist(**params)``.

    ``shape`` is None until the compiler infers it (from observed data or the parameters).
    ``transform`` is the resolved Transform, None for discrete distributions.
    ``noncenter=False`` exempts the node from the non-centering rewrite.
    ``aux_for`` names the user's node this one stands in for, when a rewrite made it.
    ``dims`` names its axes (``exmc.dims``): labels only, so not in the model's fingerprint.
    """

    name: str
    dist: type[Distribution]
    params: Mapping[str, ParamValue]
    shape: tuple[int, ...] | None = None
    transform: Transform | None = None
    noncenter: bool = True
    aux_for: str | None = None
    dims: tuple[str, ...] | None = field(default=None, metadata=LABELS_ONLY)

    def refs(self) -> tuple[str, ...]:
        return tuple(v for v in self.params.values() if isinstance(v, str))

    def __eq__(self, other: object) -> bool:
        if type(other) is not RV:
            return NotImplemented
        return (
            (self.name, self.dist, self.shape, self.transform, self.noncenter, self.aux_for, self.dims)
            == (other.name, other.dist, other.shape, other.transform, other.noncenter, other.aux_for, other.dims)
            and same_params(self.params, other.params)
        )


@dataclass(frozen=True)
class Obs:
    """An observation: ``rv`` takes the value ``data`` and stops being a free parameter."""

    name: str
    rv: str
    data: np.ndarray

    def refs(self) -> tuple[str, ...]:
        return (self.rv,)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Obs:
            return NotImplemented
        return (self.name, self.rv) == (other.name, other.rv) and same_value(self.data, other.data)


@dataclass(frozen=True)
class Det:
    """A deterministic node ``name = fn(*deps)``, written with ``jax.numpy``.

    ``origin`` says which rewrite made it (None for the user's own det nodes).
    ``dims`` names its axes (``exmc.dims``).
    """

    name: str
    fn: Callable
    deps: tuple[str, ...]
    origin: str | None = None
    dims: tuple[str, ...] | None = field(default=None, metadata=LABELS_ONLY)

    def refs(self) -> tuple[str, ...]:
        return self.deps


@dataclass(frozen=True)
class Data:
    """A named input of the model (decision 57): ``value`` (float64, int64 or bool, read-only)
    is referenced by name like any node, and ``IR.set_data`` replaces it. The compiled
    sampler takes it as an argument, so new values of the same shape compile nothing.

    ``dims``: the names of its axes (``exmc.dims``), labels only: not in the fingerprint.
    """

    name: str
    value: np.ndarray
    dims: tuple[str, ...] | None = field(default=None, metadata=LABELS_ONLY)

    def refs(self) -> tuple[str, ...]:
        return ()

    @property
    def deps(self) -> tuple[str, ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not Data:
            return NotImplemented
        return (self.name, self.dims) == (other.name, other.dims) and same_value(self.value, other.value) \
            and self.value.dtype == other.value.dtype


@dataclass(frozen=True)
class Potential:
    """A log-density term ``sum(fn(*deps))`` (PyMC's ``Potential``, NumPyro's ``factor``,
    decision 60): it joins the joint log-density; it is no likelihood (LOO/WAIC leave it
    out), has no value in the trace and is not drawn by predictive sampling."""

    name: str
    fn: Callable
    deps: tuple[str, ...]

    def refs(self) -> tuple[str, ...]:
        return self.deps


Node = Union[RV, Obs, Det, Data, Potential]


@dataclass(frozen=True)
class Rewrite:
    """What a rewrite pass changed: the node, the auxiliary nodes it made, and how."""

    pass_name: str
    node: str
    aux: tuple[str, ...]
    detail: str
    # Enough to invert the rewrite (init values given for the user's node): param -> value.
    params: Mapping[str, ParamValue] = field(default_factory=FrozenMap)

    def __str__(self) -> str:
        return f"{self.pass_name}: {self.detail}"

    def __eq__(self, other: object) -> bool:
        if type(other) is not Rewrite:
            return NotImplemented
        return (self.pass_name, self.node, self.aux, self.detail) == (
            other.pass_name, other.node, other.aux, other.detail
        ) and same_params(self.params, other.params)


def frozen_params(params: Mapping[str, ParamValue]) -> Mapping[str, ParamValue]:
    return FrozenMap(params)


# Nodes hold arrays, whose == is elementwise, so the dataclasses' generated __eq__ would
# raise on any vector constant or data; these compare by value (shape included) instead.
def same_value(a: ParamValue, b: ParamValue) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def same_params(a: Mapping[str, ParamValue], b: Mapping[str, ParamValue]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)


def format_value(value: ParamValue) -> str:
    if isinstance(value, str):
        return value
    if value.ndim == 0:
        return f"{float(value):g}"
    if value.size <= 4:
        return "[" + ", ".join(f"{v:g}" for v in value.ravel()) + "]"
    return f"<array {value.shape}>"
