"""Data nodes and ``IR.set_data`` (decision 57).

A data node is a named input: a det node or a parameter refers to it by name, and
``set_data`` swaps its value (or an observation's data) for another, giving a new IR whose
structure is the old one's. The compiled sampler takes data as arguments, not constants,
so sampling the new IR with data of the same shapes and dtypes compiles nothing
(``exmc.sampler.driver.kernels``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from exmc import errors as E
from exmc.dims import check_dims
from exmc.ir.nodes import Data, Obs

if TYPE_CHECKING:
    from exmc.ir.ir import IR


def as_data_array(value, node: str) -> np.ndarray:
    """``value`` as a read-only array: integers (and bools) keep their kind, as int64 (bool),
    so an index stays an index; every other real number becomes float64. Not finite,
    complex or non-numeric values raise ``DataError`` naming ``node``."""
    if value is None:
        raise E.DataError(node, "data must be numeric, got None")
    if np.iscomplexobj(value):
        raise E.DataError(node, "data must be real numbers, got complex values")
    try:
        array = np.array(value)
    except (TypeError, ValueError):
        raise E.DataError(node, f"data must be numeric, got {type(value).__name__} {value!r:.60}") from None
    if array.dtype == np.bool_:
        pass
    elif np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.int64)
    else:
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise E.DataError(node, f"data must be numeric, got {type(value).__name__} {value!r:.60}") from None
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0]) if array.ndim else ()
            where = f" at index {bad}" if array.ndim else ""
            raise E.DataError(node, f"data must be finite, got {array[bad] if array.ndim else array}{where}")
    array.setflags(write=False)
    return array


def data(ir: "IR", name: str, value, dims=None) -> "IR":
    """Add the data node ``name`` holding ``value``; see ``exmc.Builder.data``."""
    from exmc.ir.builder import _check_name

    name = _check_name(ir, name)
    node = Data(name, as_data_array(value, name), check_dims(name, dims))
    return ir.replace(ir.nodes + (node,))


def set_data(ir: "IR", values: dict) -> "IR":
    """A new IR with the data nodes and observations named in ``values`` holding new values.

    ``ir`` is unchanged. Data keep their checks: a data node's value as in ``.data``, an
    observation's as in ``.obs`` (finite, in the support of its rv; it may change length).
    Shapes through the model are checked when the new IR is compiled. A name that is no
    data node nor observation raises ``UnknownDataError`` naming it. A named dimension whose
    length a data node's new value changes loses its coordinate labels (0..n-1 from then on).
    """
    from exmc.ir.builder import obs

    known = [n.name for n in ir.nodes if isinstance(n, (Data, Obs))]
    for name in values:
        node = ir.by_name.get(name)
        if not isinstance(node, (Data, Obs)):
            what = "is not a node of the model" if node is None else f"is a {type(node).__name__} node, not data"
            hint = f"; its data are {', '.join(known)}" if known else "; the model has no data nodes"
            raise E.UnknownDataError(name, f"set_data: '{name}' {what}{hint}")
    nodes = list(ir.nodes)
    for i, node in enumerate(nodes):
        if node.name not in values:
            continue
        if isinstance(node, Data):
            nodes[i] = dataclasses.replace(node, value=as_data_array(values[node.name], node.name))
        else:  # the observation rebuilt by .obs's own checks, kept in its place
            others = type(ir)(nodes=tuple(n for n in ir.nodes if n.name != node.name))
            nodes[i] = obs(others, node.name, node.rv, values[node.name]).nodes[-1]
    # A dimension whose length the new data change loses its labels (they named the old
    # rows) and is labelled 0..n-1, like a dimension without coords (decision 61).
    coords = dict(ir.coords)
    for node in nodes:
        if isinstance(node, Data) and node.name in values and node.dims:
            for dim, length in zip(node.dims, np.shape(node.value)):
                if dim in coords and len(coords[dim]) != length:
                    del coords[dim]
    # the same structure: dataclasses.replace keeps the IR's structure token (decision 57)
    return dataclasses.replace(ir, nodes=tuple(nodes), coords=coords)
