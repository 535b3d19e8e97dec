"""The driver: compiled chunks for every chain, run concurrently, yielded as batches.

All chains share one compilation of the chunk (cached on the CompiledModel, so sampling
the same model again compiles nothing). Each chain's chunk is called from its own thread:
XLA releases the GIL while it runs, so chains proceed concurrently on every core without
moving in lockstep step by step (decision 15); they meet only at chunk boundaries.
Chunks are sized so that a batch arrives about every ``BATCH_SECONDS``, or, when calling every
chain's chunk costs more than that by itself (hundreds of chains), so that this fixed cost is
at most a quarter of a batch's time (decision 71).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc._x64 import x64
from exmc.compile.model import CompiledModel
from exmc.sampler import adapt, interrupt, layouts, precision, rng
from exmc.sampler.chunk import (AUTO_CONDITION, FULL_RANK_DIM, STAT_NAMES, auto_decision, auto_staged, fresh_carry,
                                make_chunk, make_init, resolve, whiten)

BATCH_SECONDS = 0.25
FIRST_CHUNK = 8
# a batch's iterations cost at least this many times the fixed cost of one round of calls
OVERHEAD_FACTOR = 3
# decision 82: where warmup's settled iterations (from tune // SETTLED_FROM to the terminal
# window) diverge on at least DIVERGENT_SHARE of their transitions, the terminal window tunes
# the step size to a target with half the rejection (0.8 -> 0.9)
SETTLED_FROM = 5
DIVERGENT_SHARE = 0.01
SETTLED_MIN = 50  # fewer settled iterations than this are not watched


@dataclass(frozen=True)
class Batch:
    """Draws made since the last batch, for every chain.

    phase : "warmup" or "sampling".
    draws : name -> array (chains, n_new, *shape), constrained values of rv and det nodes.
    stats : stat -> array (chains, n_new).
    done, total : iterations of this phase finished so far (per chain) and the target.
    state : the sampler's state after this batch; ``sample_stream(ir, draws=n, resume=state)``
        continues these chains from here (no new warmup) with n more draws.
    """

    phase: str
    draws: Mapping[str, np.ndarray]
    stats: Mapping[str, np.ndarray]
    done: int
    total: int
    state: "SamplerState | None" = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return next(iter(self.stats.values())).shape[1]


@dataclass(frozen=True, eq=False)
class SamplerState:
    """Where every chain stands: position, step size, metric, adaptation and iteration.

    Opaque: pass it to ``sample_stream(..., resume=state)``. An iteration's randomness depends
    only on the chain's seed (derived from ``seed``) and the iteration's number, so continuing
    a run gives the same draws as one longer run.
    """

    model: CompiledModel
    carries: tuple
    iterations: int          # warmup and sampling iterations done, per chain
    tune: int
    chains: int
    seed: int
    target_accept: float
    max_treedepth: int
    metric: str
    chain_method: str = "threads"   # the layout the chains ran in (layouts.py)
    shard_data: bool = False
    dtype: str = "float64"          # the sampler's arithmetic (precision.py)
    # "auto": what it chose and why (decision 81); until it chooses, the draws and gradients it
    # will look at, (chains, rows, dim) each, filled up to ``iterations``
    metric_choice: str = ""
    auto_rows: tuple | None = field(default=None, repr=False)
    # the target the step size is tuned to now (decision 82): target_accept, or raised at the
    # terminal window (always set by the driver); until then, the divergences counted in
    # warmup's settled iterations
    target_used: float | None = None
    settled_divergences: int = 0
    target_choice: str = ""

    @property
    def draws_done(self) -> int:
        """Sampling draws made so far, per chain."""
        return max(self.iterations - self.tune, 0)

    def __repr__(self) -> str:
        return (f"SamplerState(chains={self.chains}, tune={self.tune}, iterations={self.iterations}, "
                f"draws_done={self.draws_done})")


def _buffer_length(dim: int) -> int:
    return int(np.clip(2**20 // max(dim, 1), 16, 1024))


class _Kernels:
    """The compiled pieces for one model, max_treedepth, metric and dtype, compiled once.

    The chunk is compiled ahead of time, here, with shapes from ``eval_shape``: the first
    timed chunk then measures sampling, not compilation, and sizes the next one right.
    The model's data (``model.data``) are the threaded chunk's last argument, not constants
    in it, so a model that differs only in its data values runs the same executable
    (decision 57). In float32 (``precision.py``) the data are the log-density's constants.
    """

    def __init__(self, model: CompiledModel, max_treedepth: int, metric: str, dtype: str = "float64"):
        dim = model.dim
        self.length = _buffer_length(dim)
        self.dtype = np.dtype(dtype)
        if dtype == "float64":
            value_and_grad = jax.value_and_grad(model.logp_fn)
        else:
            single = precision.logp_and_grad(model, dtype)
            value_and_grad = lambda q, data: single(q)  # noqa: E731  (data are its constants)
        self.kind, rank = resolve(metric, dim)
        # "auto" may whiten the chains after looking at the first draws' gradients (decisions 81, 83)
        self.staged = keep = auto_staged(metric, dim)
        kind, length = self.kind, self.length

        def run(seed, carry, n, schedule, target, data):
            step = make_chunk(lambda q: value_and_grad(q, data), dim, length, max_treedepth, kind, rank, keep)
            return step(seed, carry, n, schedule, target)

        with x64(True):
            data_spec = {k: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype) for k, v in model.data.items()}
            seed = jax.ShapeDtypeStruct((), jnp.uint64)
            carry = jax.eval_shape(
                lambda q0, data: make_init(lambda q: value_and_grad(q, data), self.kind, rank, keep)(q0),
                jax.ShapeDtypeStruct((dim,), self.dtype), data_spec,
            )
            self.carry_template = carry
            self.chunk = jax.jit(run).lower(
                seed, carry, jax.ShapeDtypeStruct((), jnp.int32),
                jax.ShapeDtypeStruct((adapt.MAX_WINDOWS,), jnp.int32), jax.ShapeDtypeStruct((), self.dtype),
                data_spec,
            ).compile()

        # chains x (length, dim) -> name -> (chains, length, *shape); stacked inside, so that
        # nothing outside the model's own functions compiles per number of chains
        def values(qs, data):
            one = jax.vmap(jax.vmap(lambda q: model._reported(model.evaluate(q.astype(jnp.float64), data)[1])))
            return one(jnp.stack(qs))

        self.values = jax.jit(values)
        self.model, self.value_and_grad = model, value_and_grad
        self.make_chunk = lambda lg: make_chunk(lg, dim, length, max_treedepth, kind, rank, keep)
        self.settings = (max_treedepth, metric, dtype)

    def runner(self, chain_method: str, chains: int, shard_data: bool = False, model: CompiledModel | None = None):
        """The layout that advances ``model`` 's chains (``layouts``; default: the model these
        kernels were built for). Threads run the shared executable with the model's data as an
        argument; so do the batched layouts' programs, but each holds its model's data placed on
        the devices (split, with ``shard_data``, whose planning depends on the values), so they
        are kept on the model itself, per number of chains and devices."""
        model = self.model if model is None else model
        if chain_method == "threads":
            return layouts.Threads(self.chunk, chains, model.data)
        cache = model.__dict__.setdefault("_batched", {})
        key = (*self.settings, chain_method, chains, shard_data, jax.device_count())
        if key not in cache:
            sharded = None
            if shard_data:
                from exmc.sampler.sharding import sharded as split_rows

                sharded = split_rows(model, jax.device_count())
            cache[key] = layouts.Batched(chain_method, self.make_chunk, self.value_and_grad, model.data,
                                         self.carry_template, chains, sharded)
        return cache[key]


# Kernels shared by models that differ only in their data (CompiledModel.structure_key):
# weak, so that they live as long as some model holds them (each model holds its own).
_shared: "weakref.WeakValueDictionary[tuple, _Kernels]" = weakref.WeakValueDictionary()


def kernels(model: CompiledModel, max_treedepth: int, metric: str = "stan", dtype: str = "float64") -> _Kernels:
    cache = model.__dict__.setdefault("_kernels", {})
    if (max_treedepth, metric, dtype) not in cache:
        key = (model.structure_key(), max_treedepth, metric, dtype)
        shared = _shared.get(key)
        if shared is None:
            shared = _Kernels(model, max_treedepth, metric, dtype)
            _shared[key] = shared
        cache[max_treedepth, metric, dtype] = shared
    return cache[max_treedepth, metric, dtype]


def run_chains(
    model: CompiledModel,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    init_values,
    target_accept: float,
    max_treedepth: int,
    metric: str = "stan",
    resume: SamplerState | None = None,
    chain_method: str = "threads",
    shard_data: bool = False,
    dtype: str = "float64",
) -> Iterator[Batch]:
    """Yield batches until ``tune`` warmup and ``draws`` sampling iterations are done.

    With ``resume``, the chains go on from that state (the rest of its warmup, if it stopped
    there, then ``draws`` more draws); its settings replace the arguments.
    ``chain_method`` is a layout ``layouts.resolve`` returned ("auto" resolved).
    """
    if resume is not None:
        tune, chains, seed = resume.tune, resume.chains, resume.seed
        target_accept, max_treedepth, metric = resume.target_accept, resume.max_treedepth, resume.metric
        chain_method, shard_data, dtype = resume.chain_method, resume.shard_data, resume.dtype
    k = kernels(model, max_treedepth, metric, dtype)
    runner = k.runner(chain_method, chains, shard_data, model)
    values_of = k.values
    data = model.data  # this model's values, for the shared executable (decision 57)
    # Ctrl-C under exmc.sample only asks to stop (interrupt.Guard): after a compilation,
    # before each chain's start and before each chunk, nothing more is compiled or run
    if interrupt.stopping():
        return
    schedule = adapt.schedule_for(k.kind, tune)
    # decision 82: warmup's settled iterations [count_from, raise_at) are watched for divergences
    count_from, raise_at = tune // SETTLED_FROM, int(schedule[2])
    if resume is not None:
        target_used, divergent = resume.target_used, resume.settled_divergences
        target_choice = resume.target_choice
    else:
        target_used, divergent, target_choice = target_accept, 0, ""
    watch = raise_at - count_from >= SETTLED_MIN and (resume is None or resume.iterations <= raise_at)
    target = k.dtype.type(target_used)
    settings = dict(tune=tune, chains=chains, seed=seed, target_accept=target_accept,
                    max_treedepth=max_treedepth, metric=metric, chain_method=chain_method, shard_data=shard_data, dtype=dtype)
    # Chain c's seed: splitmix64 of the user's seed and c (rng, decision 28).
    chain_seeds = [rng.host_mix(seed, c) for c in range(chains)]

    def start(c: int):
        """Chain c's first carry: its initial point is tested by a chunk of no iterations,
        which initialises a fresh carry (log-density, gradient, metric) and nothing more."""
        carries = {}

        def logp_and_grad(flat):
            with x64(True):
                fresh = fresh_carry(k.carry_template, flat)
                carries["last"] = k.chunk(chain_seeds[c], fresh, np.int32(0), schedule, target, data)[0]
                return float(carries["last"].state.logp), np.asarray(carries["last"].state.grad)

        model.initial_point(seed, init_values, chain=c, logp_and_grad=logp_and_grad)
        return carries["last"]

    if resume is None:
        carries = []
        for c in range(chains):
            if interrupt.stopping():
                return
            carries.append(start(c))
        done, drawn_before = 0, 0
    else:
        carries, done, drawn_before = list(resume.carries), resume.iterations, resume.draws_done

    # "auto" (decisions 81, 83): the draws and gradients of warmup iterations [first, decide_at)
    # are kept; after decide_at it goes on with nutpie's diagonal, of the draws or of whitened ones
    choice = resume.metric_choice if resume is not None else _auto_reason(metric, model.dim, tune)
    decide_at = auto_decision(tune) if k.staged else None
    if decide_at is not None and done > decide_at:  # resumed after the choice
        decide_at = None
    rows = first = None
    if decide_at is not None:
        first = decide_at // 2
        if resume is not None and resume.auto_rows is not None:
            rows = tuple(np.array(r) for r in resume.auto_rows)
        else:
            rows = tuple(np.zeros((chains, decide_at - first, model.dim), k.dtype) for _ in range(2))

    total_iterations = tune + drawn_before + draws
    n = min(FIRST_CHUNK, k.length)
    runner.sync()
    try:
        overhead = _round_overhead(runner, chain_seeds, carries, schedule, target)
        while done < total_iterations:
            if watch and done >= raise_at:
                watch = False
                share = divergent / ((raise_at - count_from) * chains)
                if share >= DIVERGENT_SHARE:
                    target_used = raised_target(target_accept)
                    target = k.dtype.type(target_used)
                target_choice = _target_choice(target_accept, target_used, share, count_from, raise_at)
            if decide_at is not None and done >= decide_at:
                condition, chol = adapt.whitening(*rows)
                full = bool(condition >= AUTO_CONDITION) and chol is not None  # inf: nothing varied yet
                choice = _auto_choice(full, condition, decide_at)
                decide_at = rows = None
                if full:
                    carries = [whiten(jax.device_get(c), chol) for c in carries]
            # every process of a multi-host run goes on, and cuts its chunk, as process 0 does
            n, stop = runner.agree(n, interrupt.stopping())
            if stop:
                break
            phase_end = tune if done < tune else total_iterations
            if decide_at is not None:
                phase_end = decide_at
            elif watch:
                phase_end = raise_at
            n = max(1, min(n, phase_end - done, k.length))
            started = time.perf_counter()
            carries, outs, interrupted = runner.advance(chain_seeds, carries, n, schedule, target)
            elapsed = time.perf_counter() - started
            if decide_at is not None:
                _keep_rows(rows, outs, done, n, first)
            with x64(True):
                values = values_of(tuple(out["q"] for out in outs), data)
            warm = done < tune
            # Slice on the host (slicing device arrays by a varying n would compile each n) and
            # copy: a batch owns exactly its n draws, never a view that would keep the chunk's
            # whole output buffer (chains x buffer length x dim) alive as long as the batch
            draws_out = {name: np.array(np.asarray(v)[:, :n]) for name, v in values.items()}
            stats = {s: np.stack([np.asarray(out[s])[:n] for out in outs]) for s in STAT_NAMES}
            if watch:
                lo = max(done, count_from) - done
                divergent += int(stats["diverging"][:, lo:].sum())
            del values, outs
            done += n
            yield Batch(
                phase="warmup" if warm else "sampling",
                draws=draws_out,
                stats=stats,
                done=done if warm else done - tune,
                total=tune if warm else drawn_before + draws,
                state=SamplerState(model, tuple(carries), done, **settings, metric_choice=choice,
                                   auto_rows=None if rows is None else tuple(np.array(r) for r in rows),
                                   target_used=target_used, settled_divergences=divergent,
                                   target_choice=target_choice),
            )
            if interrupted:
                raise KeyboardInterrupt
            n = next_chunk_length(elapsed, n, overhead, k.length)
    finally:
        runner.close()


def _keep_rows(rows: tuple, outs: list, done: int, n: int, first: int) -> None:
    """Copy into ``rows`` (draws, gradients) the iterations of [first, first + rows) that the
    chunk of iterations [done, done + n) made."""
    lo, hi = max(done, first), min(done + n, first + rows[0].shape[1])
    for c, out in enumerate(outs):
        if lo < hi:
            rows[0][c, lo - first:hi - first] = np.asarray(out["q"])[lo - done:hi - done]
            rows[1][c, lo - first:hi - first] = np.asarray(out["grad"])[lo - done:hi - done]


def raised_target(target_accept: float) -> float:
    """The terminal window's target where warmup diverged (decision 82): half the rejection."""
    return 1.0 - 0.5 * (1.0 - target_accept)


def _target_choice(target_accept: float, target_used: float, share: float, lo: int, hi: int) -> str:
    """What decision 82 did, for ``trace.attrs["target_choice"]``."""
    seen = f"warmup iterations {lo}-{hi - 1} diverged on {100 * share:.2g} % of transitions"
    if target_used == target_accept:
        return f"{target_accept:g} kept: {seen} (< {100 * DIVERGENT_SHARE:g} %)"
    return f"raised from {target_accept:g} to {target_used:g}: {seen} (>= {100 * DIVERGENT_SHARE:g} %)"


def _auto_reason(metric: str, dim: int, tune: int) -> str:
    """What "auto" runs when it has nothing to choose (decision 81); "" for other metrics."""
    if metric != "auto":
        return ""
    if dim == 1:
        return "nutpie's diagonal: one parameter"
    if dim > FULL_RANK_DIM:
        return f"nutpie's diagonal: more than {FULL_RANK_DIM} parameters"
    if auto_decision(tune) is None:
        return "nutpie's diagonal: warmup too short to choose"
    return "nutpie's diagonal until warmup iteration %d, then chosen" % auto_decision(tune)


def _auto_choice(full: bool, condition: float, at: int) -> str:
    what = "full rank" if full else "nutpie's diagonal"
    sign = ">=" if full else "<"
    return (f"{what}: condition number {condition:.3g} under the diagonal at warmup iteration {at} "
            f"({sign} {AUTO_CONDITION:g})")


def _round_overhead(runner, seeds, carries, schedule, target) -> float:
    """Seconds one round of chunk calls costs with no iterations: dispatch, argument
    handling and thread hand-off, about a millisecond a chain in threads. The results are
    dropped (the chunk is a pure function of its arguments), so this changes no draw; every
    process of a multi-host run makes the same call."""
    started = time.perf_counter()
    _, _, interrupted = runner.advance(seeds, carries, 0, schedule, target)
    if interrupted:
        raise KeyboardInterrupt
    return time.perf_counter() - started


def next_chunk_length(elapsed: float, n: int, overhead: float, length: int) -> int:
    """Iterations for the next chunk, from the last round's ``elapsed`` seconds for ``n``.

    The round's time is a fixed ``overhead`` plus a cost per iteration. Aim for a batch every
    ``BATCH_SECONDS``; where the overhead alone approaches that (many chains), run enough
    iterations that it is at most 1/(1 + OVERHEAD_FACTOR) of the round, rather than spending
    nearly all the time on calls of one iteration each.
    """
    # measured noise can make elapsed < overhead: the iterations cost at least 5% of a round
    per_iteration = max(elapsed - overhead, 0.05 * elapsed) / max(n, 1)
    per_iteration = max(per_iteration, 1e-7)
    wanted = max(BATCH_SECONDS - overhead, OVERHEAD_FACTOR * overhead) / per_iteration
    return int(np.clip(wanted, 1, length))
