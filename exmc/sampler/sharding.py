"""Data parallel log-density: the rows of observed data split over a mesh's ``data`` axis.

``ShardedLogp(model, n)`` splits the rows of each shardable observation, and of the data
nodes its parameters are computed from, into ``n`` equal slices (one per device of the axis)
and a remainder of fewer than ``n`` rows. Its ``logp_and_grad(local, axis)``, called inside
``shard_map``, is

    value, gradient of (priors, Jacobians, remainder rows, unsplit observations)   # every device
  + the devices' (value, gradient of their own rows), added in device order        # one collective

The gradient of each device's sum is taken locally, so no collective is differentiated, and
the (value, gradient) pairs travel in one collective per evaluation (``dim + 1`` numbers a
device). That collective is an all-gather followed by a sum in device order rather than a
``psum``: an all-reduce adds in whatever order its implementation (XLA's in-process one,
gloo across processes, NCCL) picks, which changed draws at 1e-11 between one process of 4
devices and two of 2 (and NUTS then amplifies such differences); gathering moves the numbers
exactly and every topology adds them the same way, so the draws do not depend on how the
devices are spread over processes (decision 68). The sum is the unsharded one in another
order (equal to about 1 ulp per row sum; tests ask relative 1e-12).

Which rows split (``plan``, decision 78). The row-indexed nodes are the data nodes
(``Builder.data``) with a leading axis, and the det nodes computed from them whose leading
axis has the same length (a linear predictor ``X @ beta``, an index ``ab[county_idx]``). An
observation is split when its data has a leading axis of at least ``n`` rows, each parameter
of its rv either has no value per row or is a row-indexed node of the same rows, and no node
depends on the observed values. A data node stays whole (and so does everything computed
from it) when anything other than a row-indexed det node or a split observation uses it: a
free rv's parameter, a potential, a det node that reduces over the rows. A det node must
compute each row from the same row of its row-indexed inputs; that is checked once, at the
fixed random point, by computing the det nodes from the first and the last device's rows
alone and from the rows left over (``x - x.mean()`` fails it and stays whole, and so does a
function with a length written into it). An array closed over by a det node's
function is a constant, not data: it cannot be split, and the observation it feeds stays
whole.
"""

from __future__ import annotations

from typing import Mapping

import jax
import numpy as np
from jax import lax

from exmc import errors as E
from exmc.compile.model import CompiledModel
from exmc.ir.nodes import RV, Det, Potential


def _param_shape(value, shapes: Mapping[str, tuple]) -> tuple:
    return tuple(shapes[value]) if isinstance(value, str) else np.shape(value)


def _consumers(model: CompiledModel) -> dict[str, list]:
    """name -> the nodes (rv, det, potential) that reference it."""
    users: dict[str, list] = {}
    for node in model.ir.nodes:
        if isinstance(node, (RV, Det, Potential)):
            for ref in node.refs() if not isinstance(node, Potential) else node.deps:
                users.setdefault(ref, []).append(node)
    return users


def _row_nodes(model: CompiledModel, candidates: set[str], blocked: dict[str, str]):
    """(rows, sources): name -> row count of every row-indexed node reachable from the data
    nodes ``candidates``, and name -> the candidates it is computed from. A det node that uses
    a row-indexed node without a leading axis of its rows moves the data that node came from
    to ``blocked`` (with the reason) and gives None: the caller plans again."""
    shapes = model.analysis.shapes
    rows = {name: shapes[name][0] for name in candidates}
    sources = {name: {name} for name in candidates}
    for name in model.analysis.order:
        node = model.ir[name]
        inputs = [d for d in node.deps if d in rows] if isinstance(node, Det) else []
        if not inputs:
            continue
        length = shapes[name][0] if shapes[name] else None
        used_whole = [d for d in inputs if rows[d] != length]
        if used_whole:  # a table, a reduction over the rows: that data cannot be split
            for d in used_whole:
                blocked.update({s: f"det node {name!r} uses it whole" for s in sources[d]})
            return None
        rows[name] = length
        sources[name] = set().union(*(sources[d] for d in inputs))
    return rows, sources


def plan(model: CompiledModel, n: int) -> tuple[list[str], list[str], dict[str, str]]:
    """(observations split, data nodes split, name -> why it stays whole) for ``n`` devices;
    the rules are in the module's docstring."""
    ir, shapes = model.ir, model.analysis.shapes
    users = _consumers(model)
    blocked: dict[str, str] = {}  # data node -> why its rows stay together
    while True:
        candidates = {d for d in model.analysis.data
                      if d not in blocked and len(shapes[d]) >= 1 and shapes[d][0] >= n}
        found = _row_nodes(model, candidates, blocked)
        if found is None:
            continue
        rows, sources = found
        split, whole, used, more = [], {}, set(), {}
        for rv_name, obs in ir.observations.items():
            row_params = [v for v in ir[rv_name].params.values() if isinstance(v, str) and v in rows]
            why = _obs_reason(model, rv_name, n, rows, users)
            if why is None:
                split.append(obs.name)
                used.update(*(sources[p] for p in row_params))
            else:
                whole[obs.name] = why
                for p in row_params:
                    more.update({s: f"observation {obs.name!r} stays whole" for s in sources[p]})
        for name in rows:  # row-indexed nodes a free rv or a potential uses
            for user in users.get(name, ()):
                if isinstance(user, Potential) or (isinstance(user, RV) and user.name not in ir.observations):
                    more.update({s: f"{user.name!r} uses it" for s in sources[name]})
        if not more:
            data = [d for d in model.analysis.data if d in used]
            found = _not_rowwise(model, n, split, data, rows, sources)
            if found is None:
                for d in candidates - used:
                    blocked.setdefault(d, "no split observation uses its rows")
                return split, data, {**whole, **blocked}
            det, why = found
            more = {s: f"det node {det!r} {why}" for s in sources[det]}
        blocked.update(more)


def _obs_reason(model: CompiledModel, rv_name: str, n: int, rows: Mapping[str, int], users) -> str | None:
    """None when observation ``rv_name``'s rows can be split ``n`` ways, else why not."""
    ir, shapes = model.ir, model.analysis.shapes
    node, data = ir[rv_name], np.asarray(ir.observations[rv_name].data)
    if data.ndim <= node.dist.event_dims or data.shape[0] < n:
        return f"its data has fewer than {n} rows"
    for key, value in node.params.items():
        shape = _param_shape(value, shapes)
        if isinstance(value, str) and value in rows:
            if len(shape) != data.ndim or rows[value] != data.shape[0]:
                return f"parameter {key!r} ({value!r}, shape {shape}) does not follow its {data.shape[0]} rows"
        elif len(shape) >= data.ndim and shape[len(shape) - data.ndim] != 1:
            return (f"parameter {key!r} has one value per row (shape {shape}) that is not computed "
                    "from data nodes (an array closed over by a det node cannot be split)")
    if users.get(rv_name):
        return f"node {users[rv_name][0].name!r} depends on the observed values"
    return None


def _not_rowwise(model: CompiledModel, n: int, split: list[str], data: list[str], rows,
                 sources) -> tuple[str, str] | None:
    """None when every row-indexed det node computes the first and the last device's rows
    from those rows alone (at a fixed random point) and can be computed from the rows left
    over (possibly none), else (the first det node that cannot, why)."""
    dets = [d for d in rows if isinstance(model.ir[d], Det) and sources[d] <= set(data)]
    if not dets or not data:
        return None
    from exmc._x64 import x64

    arrays = {name: np.asarray(model.data[name]) for name in split + data}
    flat = np.random.default_rng(0).uniform(-1.0, 1.0, model.dim)
    with x64(True):
        _, full = model.evaluate(flat, arrays)
        for k in (0, n - 1, n):  # the first device's rows, the last's, the remainder
            size = {name: len(a) // n for name, a in arrays.items()}
            part = {name: a[k * size[name]:(k + 1) * size[name] if k < n else None] for name, a in arrays.items()}
            try:
                _, values = model.evaluate(flat, part)
            except Exception as error:  # e.g. a length written into the function
                # which det node failed is not known: the first one stands for them
                return dets[0], f"cannot be computed from a slice of the rows ({type(error).__name__}: {error})"
            for d in dets:
                step = rows[d] // n
                expected = np.asarray(full[d])[k * step:(k + 1) * step if k < n else None]
                got = np.asarray(values[d])
                if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-12, atol=0, equal_nan=True):
                    return d, "does not compute its rows one by one"
    return None


class ShardedLogp:
    """The split of a model's rows over ``n`` devices (see the module's docstring).

    names : the observations split; data_names : the data nodes split; whole : name -> why
    it stays whole; split_rows : the first ``n * (N // n)`` rows of each, in the order of
    ``names + data_names`` (the arrays the sharded program takes, spread over ``data``)."""

    def __init__(self, model: CompiledModel, n: int):
        self.model, self.n = model, n
        self.names, self.data_names, self.whole = plan(model, n)
        if not self.names:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.whole.items()) or "the model observes nothing"
            raise E.SettingsError(None, f"shard_data=True: no observation's rows can be split ({reasons})")
        self.split_rows: list[np.ndarray] = []
        self.remainder: dict[str, np.ndarray] = {}  # the rows left over (possibly none), every device
        for name in self.names + self.data_names:
            data = np.asarray(model.data[name])
            cut = data.shape[0] // n * n
            self.split_rows.append(data[:cut])
            self.remainder[name] = data[cut:]

    def _replicated(self, flat):
        terms, _ = self.model.evaluate(flat, self.remainder)
        kept = list(terms.values())
        return sum(kept[1:], kept[0])

    def logp_and_grad(self, local, axis: str):
        """``f(flat) -> (logp, grad)`` for the device holding rows ``local`` (in the order of
        ``names + data_names``), to be called inside ``shard_map`` over ``axis``."""
        data = dict(zip(self.names + self.data_names, local))

        def mine(flat):
            terms, _ = self.model.evaluate(flat, data)
            parts = [terms[k] for k in self.names]
            return sum(parts[1:], parts[0])

        def logp_and_grad(flat):
            value, grad = jax.value_and_grad(self._replicated)(flat)
            parts, part_grads = lax.all_gather(jax.value_and_grad(mine)(flat), axis)
            for i in range(self.n):  # device order, the same on every topology
                value, grad = value + parts[i], grad + part_grads[i]
            return value, grad

        return logp_and_grad


def sharded(model: CompiledModel, n: int) -> ShardedLogp:
    """``ShardedLogp(model, n)``, kept on the model (planning evaluates the model twice)."""
    cache = model.__dict__.setdefault("_sharded", {})
    if n not in cache:
        cache[n] = ShardedLogp(model, n)
    return cache[n]


def sharded_logp_and_grad(model: CompiledModel, flat, mesh=None):
    """The sharded log-density and gradient at ``flat``, on all devices (for tests and for
    checking a model: it must equal ``model.logp_and_grad(flat)`` to rounding)."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    from exmc._x64 import x64
    from exmc.sampler.layouts import to_global

    mesh = mesh or Mesh(np.array(jax.devices()), ("data",))
    split = sharded(model, mesh.shape["data"])
    rows = NamedSharding(mesh, P("data"))

    def body(q, *local):
        return split.logp_and_grad(local, "data")(q)

    fn = jax.jit(jax.shard_map(body, mesh=mesh, in_specs=(P(), *(P("data") for _ in split.split_rows)),
                               out_specs=P(), check_vma=False))
    with x64(True):
        q = to_global(np.asarray(flat, np.float64), NamedSharding(mesh, P()))
        value, grad = fn(q, *(to_global(a, rows) for a in split.split_rows))
        return float(value), np.asarray(grad)
