"""Pointwise log-likelihood: log p(y_i | theta) of every observed value, for every draw.

The function is built from the user's IR (so it does not matter whether the trace came from
the rewritten or the as-written model: every rv of the user's model is in the posterior,
under its own name), compiled once with ``jax.jit(jax.vmap(...))`` and run over the draws in
fixed-size chunks, the last one padded, so a trace of any length compiles one function.
"""

from __future__ import annotations

from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc import errors as E
from exmc._x64 import x64
from exmc.compile.evaluate import data_values, resolve_params
from exmc.compile.model import CompiledModel
from exmc.ir.analysis import Analysis, analyze
from exmc.ir.ir import IR
from exmc.ir.nodes import Det

# draws a chunk holds: at most this many values of the largest output held at once
_CHUNK_VALUES = 4_000_000
_MAX_CHUNK = 1024


def source(model: IR | CompiledModel) -> tuple[IR, Analysis]:
    """The user's IR and its analysis, from an IR or a CompiledModel."""
    if isinstance(model, CompiledModel):
        model = model.source_ir
    if not isinstance(model, IR):
        raise E.ExmcError(None, f"expected an exmc.IR or CompiledModel, got {type(model).__name__}")
    return model, analyze(model)


def free_values(ir: IR, analysis: Analysis, draws: Mapping[str, np.ndarray], group: str = "posterior"):
    """The (chain, draw, *shape) draws of each free rv of ``ir``, checked against its shape."""
    values = {}
    chains_draws = None
    for name in analysis.free:
        if name not in draws:
            raise E.UnknownReferenceError(
                name, f"the trace's {group} has no draws of this free variable: was it sampled from this model?"
            )
        value = np.asarray(draws[name], dtype=np.float64)
        if value.shape[2:] != analysis.shapes[name] or value.ndim < 2:
            raise E.ShapeError(
                name, f"the trace holds draws of shape {value.shape[2:]}, the model's variable has shape "
                f"{analysis.shapes[name]}: was the trace sampled from this model?"
            )
        if chains_draws is not None and value.shape[:2] != chains_draws:
            raise E.ShapeError(name, f"draws of shape {value.shape[:2]} (chain, draw), others have {chains_draws}")
        chains_draws = value.shape[:2]
        values[name] = value
    return values, chains_draws


def event_batch(ir: IR, obs_name: str) -> tuple[int, ...]:
    """The shape of an observation's pointwise log-likelihood: its data's batch axes, one
    value per event (per observed vector of an MvNormal, per count vector of a Multinomial)."""
    obs = ir[obs_name]
    k = ir[obs.rv].dist.event_dims
    return tuple(obs.data.shape[: obs.data.ndim - k])


def make_pointwise(ir: IR, analysis: Analysis) -> Callable:
    """``f(values) -> {obs name: log-density of each event, shaped like its data's batch}``
    for one draw (one value per element for the scalar families); ``values`` holds the
    constrained value of every free rv. Det nodes are recomputed."""
    observed = ir.observations
    steps = [ir[name] for name in analysis.order]

    def pointwise(values):  # potentials are no likelihood: left out (decision 60)
        values = {**data_values(ir, analysis, None), **values}
        out = {}
        for node in steps:
            if isinstance(node, Det):
                values[node.name] = node.fn(*(values[d] for d in node.deps))
            elif node.name in observed:
                obs = observed[node.name]
                logp = node.dist.logp(obs.data, **resolve_params(node, values))
                out[obs.name] = jnp.broadcast_to(logp, event_batch(ir, obs.name))
                values[node.name] = obs.data
        return out

    return pointwise


def map_draws(fn: Callable, values: Mapping[str, np.ndarray], chains_draws, out_size: int, *extra) -> dict:
    """Apply the per-draw ``fn(values, *extra_per_draw)`` to every (chain, draw) with one
    compiled ``vmap`` over fixed-size chunks. ``out_size``: values one draw outputs."""
    chains, n_draws = chains_draws
    total = chains * n_draws
    flat = {k: v.reshape((total,) + v.shape[2:]) for k, v in values.items()}
    extra = [e.reshape((total,) + e.shape[2:]) for e in extra]
    chunk = int(max(1, min(_MAX_CHUNK, total, _CHUNK_VALUES // max(out_size, 1))))
    batched = jax.jit(jax.vmap(fn))
    pieces = []
    with x64(True):
        for start in range(0, total, chunk):
            stop = min(start + chunk, total)
            take = np.minimum(np.arange(start, start + chunk), total - 1)  # pad with the last draw
            args = ({k: v[take] for k, v in flat.items()}, *(e[take] for e in extra))
            result = batched(*args)
            pieces.append({k: np.asarray(v)[: stop - start] for k, v in result.items()})
    if not pieces:
        return {}
    return {
        k: np.concatenate([p[k] for p in pieces]).reshape((chains, n_draws) + pieces[0][k].shape[1:])
        for k in pieces[0]
    }


def log_likelihood(model: IR | CompiledModel, posterior: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """obs name -> (chain, draw, *data batch shape): log p(y_i | theta_draw) of each observed
    value, or of each observed event (vector, matrix) for the multivariate families.

    ``posterior`` holds (chain, draw, ...) draws of every free rv of the user's model (a
    ``Trace.posterior``). Raises an ``ExmcError`` naming the variable when the draws do not
    fit the model.
    """
    ir, analysis = source(model)
    if not ir.observations:
        raise E.ObservationError(None, "the model observes nothing: there is no likelihood to compute")
    values, chains_draws = free_values(ir, analysis, posterior)
    if chains_draws is None:
        raise E.ExmcError(None, "the model has no free variables: its log-likelihood has no draws")
    if chains_draws[0] * chains_draws[1] == 0:
        return {o.name: np.zeros(chains_draws + event_batch(ir, o.name)) for o in ir.observations.values()}
    out_size = sum(o.data.size for o in ir.observations.values())
    return map_draws(make_pointwise(ir, analysis), values, chains_draws, out_size)
