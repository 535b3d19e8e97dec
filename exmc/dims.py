"""Named dimensions (decision 61): a model's ``coords`` and its nodes' ``dims``.

``Builder.new_ir(coords={"county": names, "coef": ["intercept", "slope"]})`` names the
labels along a dimension; ``dims="county"`` or ``dims=("county", "coef")`` on a node names
its axes, one name an axis. A dimension without coords is labelled 0..n-1, as ArviZ does.

Checked in two steps, each raising ``exmc.DimsError`` (a ``ShapeError``) naming the node:

- as the model is built, the spelling: coords a dict of name -> a 1-D sequence of distinct
  labels (strings or numbers), dims a name or a tuple of distinct names;
- once shapes are known (``exmc.ir.analysis``, before anything is compiled or sampled):
  one name an axis, each declared dimension as long as its coords, and a dimension without
  coords the same length wherever it is used.

The labels then reach the trace (``Trace.dims``, ``Trace.coords``), ArviZ
(``to_arviz``), the trace file, ``exmc.summary``'s row labels (``ab[Adams, slope]``, as
ArviZ's labeller writes them) and the dashboard's element menus.

Nodes are read generically: any node with a ``dims`` attribute (rv, det, and data nodes)
is checked and labelled, with the shape the analysis found for it, or else the shape of
its ``value``. An observation carries the dims of the rv it observes.
"""

from __future__ import annotations

import numbers
from typing import Mapping

import numpy as np

from exmc import errors as E
from exmc.frozen import FrozenMap

Labels = tuple  # one dimension's labels: str, int or float values


def check_coords(coords) -> Mapping[str, Labels]:
    """``coords`` as a read-only dict of name -> tuple of labels; ``DimsError`` saying what
    is wrong otherwise (no node is at fault: the error names the dimension)."""
    if coords is None:
        return FrozenMap()
    if not isinstance(coords, Mapping):
        raise E.DimsError(None, f"coords must be a dict of dimension name -> labels, got {type(coords).__name__}")
    out = {}
    for name, labels in coords.items():
        if not isinstance(name, str) or not name:
            raise E.DimsError(None, f"coords: a dimension name must be a non-empty string, got {name!r}")
        out[name] = _labels(name, labels)
    return FrozenMap(out)


def _label(dim: str, value):
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral, numbers.Real)):
        raise E.DimsError(None, f"coords['{dim}']: labels must be strings or numbers, got {value!r:.60}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, str):
        if not np.isfinite(value):
            raise E.DimsError(None, f"coords['{dim}']: labels must be finite, got {value!r}")
        return float(value)
    return value


def _labels(dim: str, labels) -> Labels:
    # a string is a sequence of characters, never what was meant by one dimension's labels
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
        raise E.DimsError(None, f"coords['{dim}'] must be a sequence of labels, got {type(labels).__name__} {labels!r:.60}")
    if isinstance(labels, np.ndarray) and labels.ndim != 1:
        raise E.DimsError(None, f"coords['{dim}'] must be one-dimensional, got an array of shape {labels.shape}")
    values = tuple(_label(dim, v) for v in labels)
    if len({isinstance(v, str) for v in values}) > 1:  # one array dtype a dimension, in ArviZ and netCDF
        raise E.DimsError(None, f"coords['{dim}'] mixes strings and numbers; use one kind of label")
    seen = set()
    for v in values:
        if v in seen:  # two rows of exmc.summary, two menu entries, one name: refused
            raise E.DimsError(None, f"coords['{dim}'] holds the label {v!r} twice; labels must be distinct")
        seen.add(v)
    return values


def check_dims(node: str, dims) -> tuple[str, ...] | None:
    """``dims`` as a tuple of names (None stays None); ``DimsError`` naming ``node`` otherwise."""
    if dims is None:
        return None
    if isinstance(dims, str):
        dims = (dims,)
    elif isinstance(dims, tuple) or isinstance(dims, list):
        dims = tuple(dims)
    else:
        raise E.DimsError(node, f"dims must be a dimension name or a tuple of names, got {type(dims).__name__} {dims!r:.60}")
    for d in dims:
        if not isinstance(d, str) or not d:
            raise E.DimsError(node, f"dims must hold non-empty strings, got {d!r:.60} in {dims!r:.80}")
    repeated = sorted({d for d in dims if dims.count(d) > 1})
    if repeated:
        raise E.DimsError(node, f"dims name '{repeated[0]}' twice; each axis needs its own dimension")
    return dims


def node_shape(node, shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, ...] | None:
    """A node's shape: the analysis's, or that of the value it holds (a data node)."""
    if node.name in shapes:
        return tuple(shapes[node.name])
    value = getattr(node, "value", None)
    return None if value is None else tuple(np.shape(value))


def check_shapes(ir, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
    """Every node's dims against its shape and the model's coords; returns each dimension's
    length. Raises ``DimsError`` naming the first node at fault."""
    coords = getattr(ir, "coords", {})
    lengths = {d: len(labels) for d, labels in coords.items()}
    first_use: dict[str, str] = {}
    for node in ir.nodes:
        dims = getattr(node, "dims", None)
        if dims is None:
            continue
        shape = node_shape(node, shapes)
        if shape is None:
            continue
        if len(dims) != len(shape):
            raise E.DimsError(
                node.name, f"dims {dims} name {len(dims)} axes, but its value has shape {shape} ({len(shape)} axes)"
            )
        for axis, (d, n) in enumerate(zip(dims, shape)):
            if d in coords and len(coords[d]) != n:
                raise E.DimsError(
                    node.name, f"coords['{d}'] has {len(coords[d])} labels, but axis {axis} of its value "
                    f"(shape {shape}) has length {n}"
                )
            if d in lengths and lengths[d] != n:
                raise E.DimsError(
                    node.name, f"dimension '{d}' has length {n} on axis {axis} (shape {shape}), but "
                    f"length {lengths[d]} on node '{first_use[d]}'"
                )
            lengths[d] = n
            first_use.setdefault(d, node.name)
    return lengths


def trace_labels(ir, shapes: Mapping[str, tuple[int, ...]]) -> tuple[dict[str, tuple[str, ...]], dict[str, Labels]]:
    """(dims, coords) of a trace of ``ir``: variable -> its dims (rv, det and data nodes by
    name, observations by the Obs node's name, with the observed rv's dims), and every dimension used -> its
    labels (the model's coords, 0..n-1 for a dimension without them). Only dimensions in use."""
    from exmc.ir.nodes import Obs

    lengths = check_shapes(ir, shapes)
    dims: dict[str, tuple[str, ...]] = {}
    for node in ir.nodes:
        if isinstance(node, Obs):
            target = getattr(ir[node.rv], "dims", None)
            if target is not None:
                dims[node.name] = tuple(target)
        elif node.name in ir.observations:  # drawn and stored under its Obs node's name
            continue
        elif getattr(node, "dims", None) is not None and node_shape(node, shapes) is not None:
            dims[node.name] = tuple(node.dims)
    used = {d for ds in dims.values() for d in ds}
    coords = getattr(ir, "coords", {})
    labels = {d: tuple(coords[d]) if d in coords else tuple(range(lengths[d])) for d in sorted(used)}
    return dims, labels


def axis_labels(name: str, shape: tuple[int, ...], dims: Mapping[str, tuple[str, ...]] | None,
                coords: Mapping[str, Labels] | None) -> tuple[Labels, ...] | None:
    """Each axis's labels for variable ``name`` of ``shape`` (its draws' trailing axes), or
    None when it has no dims (or they do not fit the shape: then indices label it)."""
    named = (dims or {}).get(name)
    if named is None or len(named) != len(shape):
        return None
    out = []
    for d, n in zip(named, shape):
        labels = (coords or {}).get(d)
        out.append(tuple(labels) if labels is not None and len(labels) == n else tuple(range(n)))
    return tuple(out)


def element_labels(name: str, shape: tuple[int, ...], axes: tuple[Labels, ...] | None = None) -> list[str]:
    """Labels of a variable's scalar elements in C order, as ArviZ's labeller writes them:
    ``mu``; ``theta[0]``; ``x[0, 1]``; with ``axes`` (``axis_labels``) ``ab[Adams, slope]``."""
    if not shape:
        return [name]
    if axes is None:
        return [f"{name}[{', '.join(map(str, index))}]" for index in np.ndindex(*shape)]
    return [f"{name}[{', '.join(str(axes[i][k]) for i, k in enumerate(index))}]" for index in np.ndindex(*shape)]


def fitting_dims(trace, groups) -> dict[str, tuple[str, ...]]:
    """The trace's dims of the variables whose arrays in every group of ``groups`` (name ->
    dict of arrays, (chain, draw) leading except ``observed_data``) have one axis a
    dimension, each as long as its coords: those ArviZ and netCDF can label."""
    out = {}
    for name, named in trace.dims.items():
        fits = True
        for group, values in groups.items():
            if name not in values:
                continue
            shape = np.shape(values[name])[0 if group == "observed_data" else 2:]
            if len(shape) != len(named) or any(len(trace.coords.get(d, ())) != n for d, n in zip(named, shape)):
                fits = False
        if fits:
            out[name] = tuple(named)
    return out


def variable_axes(shapes: Mapping[str, tuple[int, ...]], dims, coords) -> dict[str, tuple[Labels, ...]]:
    """name -> each axis's labels (``axis_labels``), for the variables of ``shapes`` that have
    dims fitting their shape: what the dashboard's element menus show."""
    out = {}
    for name, shape in shapes.items():
        axes = axis_labels(name, tuple(shape), dims, coords)
        if axes is not None:
            out[name] = axes
    return out
