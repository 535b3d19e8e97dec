"""Data parallel log-density: the rows of observed data split over a mesh's ``data`` axis.

``ShardedLogp(model, n)`` splits each shardable observation's rows into ``n`` equal slices
(one per device of the axis) and a remainder of fewer than ``n`` rows. Its
``logp_and_grad(local, axis)``, called inside ``shard_map``, is

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

An observation is split only when its rows can be: its data has a leading (batch) axis, no
parameter of its rv has one value per row (a parameter of shape (N,) would need its own rows
split: that is what data nodes are for; ``split_hook`` below is where they plug in), and no
node depends on the observed values. Others stay whole, on every device.
"""

from __future__ import annotations

from typing import Mapping

import jax
import numpy as np
from jax import lax

from exmc import errors as E
from exmc.compile.model import CompiledModel
from exmc.ir.nodes import RV, Det


def _param_shape(value, shapes: Mapping[str, tuple]) -> tuple:
    return tuple(shapes[value]) if isinstance(value, str) else np.shape(value)


def shardable(model: CompiledModel, rv_name: str, n: int) -> str | None:
    """None when observation ``rv_name``'s rows can be split ``n`` ways, else why not."""
    ir, shapes = model.ir, model.analysis.shapes
    obs = ir.observations[rv_name]
    node = ir[rv_name]
    data = np.asarray(obs.data)
    if data.ndim <= node.dist.event_dims or data.shape[0] < n:
        return f"its data has fewer than {n} rows"
    for key, value in node.params.items():
        shape = _param_shape(value, shapes)
        if len(shape) >= data.ndim and shape[len(shape) - data.ndim] != 1:
            return f"parameter {key!r} has one value per row (shape {shape})"
    for other in ir.nodes:
        if isinstance(other, (RV, Det)) and rv_name in other.refs():
            return f"node {other.name!r} depends on the observed values"
    return None


def split_hook(model: CompiledModel) -> dict[str, np.ndarray]:
    """Row-indexed arrays that may be split, by the name ``evaluate(flat, data)`` takes them
    under: today the observations' data; data nodes (``Builder.data``) add theirs here."""
    return {obs.name: np.asarray(obs.data) for obs in model.ir.observations.values()}


class ShardedLogp:
    """The split of a model's rows over ``n`` devices (see the module's docstring)."""

    def __init__(self, model: CompiledModel, n: int):
        self.model, self.n = model, n
        rows = split_hook(model)
        self.names: list[str] = []      # observations split, in order
        self.split_rows: list[np.ndarray] = []   # their first n * (N // n) rows
        self.remainder: dict[str, np.ndarray] = {}
        self.whole: dict[str, str] = {}          # observation -> why it stays whole
        for rv_name, obs in model.ir.observations.items():
            why = shardable(model, rv_name, n)
            if why is not None:
                self.whole[obs.name] = why
                continue
            data = rows[obs.name]
            cut = data.shape[0] // n * n
            self.names.append(obs.name)
            self.split_rows.append(data[:cut])
            if cut < data.shape[0]:
                self.remainder[obs.name] = data[cut:]
        if not self.names:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.whole.items()) or "the model observes nothing"
            raise E.SettingsError(None, f"shard_data=True: no observation's rows can be split ({reasons})")

    def _replicated(self, flat):
        terms, _ = self.model.evaluate(flat, self.remainder)
        kept = [v for k, v in terms.items() if k not in self.names or k in self.remainder]
        return sum(kept[1:], kept[0])

    def logp_and_grad(self, local, axis: str):
        """``f(flat) -> (logp, grad)`` for the device holding rows ``local`` (in the order of
        ``names``), to be called inside ``shard_map`` over ``axis``."""
        data = dict(zip(self.names, local))

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


def sharded_logp_and_grad(model: CompiledModel, flat, mesh=None):
    """The sharded log-density and gradient at ``flat``, on all devices (for tests and for
    checking a model: it must equal ``model.logp_and_grad(flat)`` to rounding)."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    from exmc._x64 import x64
    from exmc.sampler.layouts import to_global

    mesh = mesh or Mesh(np.array(jax.devices()), ("data",))
    sharded = ShardedLogp(model, mesh.shape["data"])
    rows = NamedSharding(mesh, P("data"))

    def body(q, *local):
        return sharded.logp_and_grad(local, "data")(q)

    fn = jax.jit(jax.shard_map(body, mesh=mesh, in_specs=(P(), *(P("data") for _ in sharded.names)),
                               out_specs=P(), check_vma=False))
    with x64(True):
        q = to_global(np.asarray(flat, np.float64), NamedSharding(mesh, P()))
        value, grad = fn(q, *(to_global(a, rows) for a in sharded.split_rows))
        return float(value), np.asarray(grad)
