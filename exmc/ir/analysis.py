"""Whole-model checks and facts, run at compile time: references, order, shapes.

``analyze(ir)`` raises an ``ExmcError`` subclass naming the node for an unknown
reference, a cycle, shapes that do not broadcast, shapes that contradict their dims, a det function that fails on its
inputs, or a discrete variable left free; otherwise it returns the topological order
of the rv and det nodes and every node's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc import constraints as C
from exmc import errors as E
from exmc._x64 import x64
from exmc.dims import check_shapes as check_dim_shapes
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Data, Det, Obs, Potential
from exmc.ir.shapes import rv_shape


@dataclass(frozen=True)
class Analysis:
    """Facts about a valid IR.

    order : rv and det names, parents before children; ties keep insertion order.
    shapes : name -> shape, for rv, det and data nodes.
    free : the free (unobserved) rv names, in ``order``.
    data : the data nodes' names (their values seed every walk over ``order``).
    potentials : the potentials' names (evaluated once every value is known).
    """

    order: tuple[str, ...]
    shapes: Mapping[str, tuple[int, ...]]
    free: tuple[str, ...]
    data: tuple[str, ...] = ()
    potentials: tuple[str, ...] = ()


def analyze(ir: IR) -> Analysis:
    _check_references(ir)
    order = _topological_order(ir)
    shapes = _infer_shapes(ir, order)
    check_dim_shapes(ir, shapes)
    observed = ir.observations
    for name in order:
        node = ir[name]
        if isinstance(node, RV) and node.dist.discrete and name not in observed:
            raise E.DistributionError(
                name,
                f"{node.dist.__name__} is discrete, so NUTS cannot sample it; use it as a likelihood "
                f"(observe '{name}' with .obs) or marginalise it out",
            )
    free = tuple(n for n in order if isinstance(ir[n], RV) and n not in observed)
    data = tuple(n for n in order if isinstance(ir[n], Data))
    potentials = tuple(n.name for n in ir.nodes if isinstance(n, Potential))
    for name in potentials:
        _check_potential(ir, ir[name], shapes)
    return Analysis(order=tuple(n for n in order if n not in set(data)), shapes=shapes, free=free,
                    data=data, potentials=potentials)


def _check_references(ir: IR) -> None:
    for node in ir.nodes:
        if isinstance(node, Obs):
            continue
        for ref in node.refs():
            target = ir.by_name.get(ref)
            if target is None:
                raise E.UnknownReferenceError(node.name, f"refers to '{ref}', which is not a node of the model")
            if isinstance(target, Obs):
                raise E.UnknownReferenceError(
                    node.name,
                    f"refers to '{ref}', an observation; refer to the observed rv '{target.rv}' instead",
                )
            if isinstance(target, Potential):
                raise E.UnknownReferenceError(
                    node.name, f"refers to '{ref}', a potential: a term of the log-density, it has no value"
                )


def _parents(ir: IR, name: str) -> tuple[str, ...]:
    return ir[name].refs()


def _topological_order(ir: IR) -> tuple[str, ...]:
    names = [n.name for n in ir.nodes if not isinstance(n, (Obs, Potential))]
    position = {name: i for i, name in enumerate(names)}
    indegree = {name: len(set(_parents(ir, name))) for name in names}
    children: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        for parent in set(_parents(ir, name)):
            children[parent].append(name)
    ready = sorted((n for n in names if indegree[n] == 0), key=position.get)
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for child in children[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
                ready.sort(key=position.get)
    if len(order) < len(names):
        stuck = [n for n in names if n not in set(order)]
        cycle = _find_cycle(ir, stuck)
        raise E.CycleError(cycle[0], "the model has a cycle: " + " -> ".join(cycle))
    return tuple(order)


def _find_cycle(ir: IR, stuck: list[str]) -> list[str]:
    """A cycle among ``stuck`` (nodes left when the topological sort stalls)."""
    stuck_set = set(stuck)
    path: list[str] = []
    on_path: set[str] = set()
    seen: set[str] = set()

    def visit(name: str) -> list[str] | None:
        path.append(name)
        on_path.add(name)
        for parent in _parents(ir, name):
            if parent in on_path:
                return path[path.index(parent):] + [parent]
            if parent in stuck_set and parent not in seen:
                seen.add(parent)
                found = visit(parent)
                if found:
                    return found
        path.pop()
        on_path.discard(name)
        return None

    for start in stuck:
        found = visit(start)
        if found:
            return list(reversed(found))
    return stuck  # unreachable for a stalled sort, kept so the error still names nodes


def _infer_shapes(ir: IR, order: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    observed = ir.observations
    for name in order:
        node = ir[name]
        if isinstance(node, Data):
            shapes[name] = tuple(node.value.shape)
            continue
        if isinstance(node, Det):
            shapes[name] = _det_shape(node, shapes, _dtypes(ir))
            continue
        param_shapes = {
            p: shapes[v] if isinstance(v, str) else v.shape for p, v in node.params.items()
        }
        constants = {p: v for p, v in node.params.items() if not isinstance(v, str)}
        if node.shape is not None:
            shape, source = node.shape, "the shape"
        elif name in observed:
            shape, source = observed[name].data.shape, f"the observed data ('{observed[name].name}')"
        else:
            shape, source = None, ""
        shape = rv_shape(name, node.dist, param_shapes, shape, source, constants)
        if name in observed and observed[name].data.shape != shape:
            raise E.ShapeError(name, f"observed data of shape {observed[name].data.shape} does not match {shape}")
        if name in observed:
            _check_categories(node, observed[name], param_shapes)
        elif node.transform is not None:
            problem = node.transform.check_shape(tuple(shape))
            if problem:
                raise E.TransformError(name, f"{problem} (the variable's shape)")
        shapes[name] = tuple(shape)
    return shapes


def _check_categories(node: RV, obs: Obs, param_shapes) -> None:
    """Category data against K when the probabilities come from another node (a constant's
    K was checked when the data were observed)."""
    support = node.dist.support
    if not isinstance(support, C.CategoryConstraint):
        return
    stand_in = {p: np.zeros(s) for p, s in param_shapes.items()}
    ok = support.contains(obs.data, stand_in)
    if not np.all(ok):
        bad = obs.data[~np.broadcast_to(ok, obs.data.shape)].ravel()[0]
        raise E.DataError(
            obs.name,
            f"observed data for '{node.name}' must lie in the support of {node.dist.__name__}, "
            f"{support.describe()}; got {bad:g}",
        )


def _dtypes(ir: IR) -> dict[str, object]:
    """Data nodes keep their dtype (an index stays an integer); every other value is float64."""
    return {n.name: n.value.dtype for n in ir.nodes if isinstance(n, Data)}


def _trace_fn(node, shapes: Mapping[str, tuple[int, ...]], dtypes: Mapping[str, object], error) -> jax.ShapeDtypeStruct:
    """The shape and dtype of ``node.fn`` on its deps' shapes (a det node's or a potential's),
    ``error`` (an ExmcError class) naming the node when it fails or returns no single array."""
    inputs = [jax.ShapeDtypeStruct(shapes[d], dtypes.get(d, jnp.float64)) for d in node.deps]
    described = ", ".join(f"{d} {shapes[d]}" for d in node.deps)
    try:
        with x64(True):
            # through a fresh wrapper: eval_shape caches its trace on the function it is
            # given, and the user's own function traced under float64 would then fail when
            # the user calls it, jitted, in float32
            out = jax.eval_shape(lambda *values: node.fn(*values), *inputs)
    except Exception as err:  # noqa: BLE001 - any failure of user code is reported on the node
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise error(node.name, f"fn fails on its inputs ({described}): {type(err).__name__}: {message}") from None
    return out


def _det_shape(node: Det, shapes: Mapping[str, tuple[int, ...]], dtypes: Mapping[str, object] = {}) -> tuple[int, ...]:
    out = _trace_fn(node, shapes, dtypes, E.DeterministicError)
    if not isinstance(out, jax.ShapeDtypeStruct):
        raise E.DeterministicError(node.name, f"fn must return one array, got {type(out).__name__}")
    if not (jnp.issubdtype(out.dtype, jnp.floating) or jnp.issubdtype(out.dtype, jnp.integer)):
        raise E.DeterministicError(node.name, f"fn must return real numbers, got dtype {out.dtype}")
    return tuple(out.shape)


def _check_potential(ir: IR, node: Potential, shapes: Mapping[str, tuple[int, ...]]) -> None:
    """``fn`` runs on its deps' shapes and returns one array of real numbers (summed into the
    log-density); anything else is a ``PotentialError`` naming the potential, before sampling."""
    out = _trace_fn(node, shapes, _dtypes(ir), E.PotentialError)
    if not isinstance(out, jax.ShapeDtypeStruct):
        raise E.PotentialError(
            node.name, f"fn must return one array of real numbers to sum into the log-density, got {type(out).__name__}"
        )
    if not (jnp.issubdtype(out.dtype, jnp.floating) or jnp.issubdtype(out.dtype, jnp.integer)
            or out.dtype == jnp.bool_):
        raise E.PotentialError(node.name, f"fn must return real numbers to sum into the log-density, got dtype {out.dtype}")
