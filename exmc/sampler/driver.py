"""The driver: compiled chunks for every chain, run concurrently, yielded as batches.

All chains share one compilation of the chunk (cached on the CompiledModel, so sampling
the same model again compiles nothing). Each chain's chunk is called from its own thread:
XLA releases the GIL while it runs, so chains proceed concurrently on every core without
moving in lockstep step by step (decision 15); they meet only at chunk boundaries.
Chunks are sized so that a batch arrives about every ``BATCH_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc._x64 import x64
from exmc.compile.model import CompiledModel
from exmc.sampler import adapt, interrupt, layouts, precision, rng
from exmc.sampler.chunk import STAT_NAMES, fresh_carry, make_chunk, make_init, resolve

BATCH_SECONDS = 0.25
FIRST_CHUNK = 8


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
    """The compiled pieces for one model, max_treedepth and metric, compiled once.

    The chunk is compiled ahead of time, here, with shapes from ``eval_shape``: the first
    timed chunk then measures sampling, not compilation, and sizes the next one right.
    """

    def __init__(self, model: CompiledModel, max_treedepth: int, metric: str, dtype: str = "float64"):
        dim = model.dim
        self.length = _buffer_length(dim)
        self.dtype = np.dtype(dtype)
        logp_and_grad = jax.value_and_grad(model.logp_fn) if dtype == "float64" else precision.logp_and_grad(model, dtype)
        self.kind, rank = resolve(metric, dim)
        chunk = jax.jit(make_chunk(logp_and_grad, dim, self.length, max_treedepth, self.kind, rank))
        with x64(True):
            seed = jax.ShapeDtypeStruct((), jnp.uint64)
            carry = jax.eval_shape(make_init(logp_and_grad, self.kind, rank), jax.ShapeDtypeStruct((dim,), self.dtype))
            self.carry_template = carry
            self.chunk = chunk.lower(
                seed, carry, jax.ShapeDtypeStruct((), jnp.int32),
                jax.ShapeDtypeStruct((adapt.MAX_WINDOWS,), jnp.int32), jax.ShapeDtypeStruct((), self.dtype),
            ).compile()
        # chains x (length, dim) -> name -> (chains, length, *shape); stacked inside, so that
        # nothing outside the model's own functions compiles per number of chains
        per_draw = jax.vmap(jax.vmap(lambda q: model._reported(model.evaluate(q.astype(jnp.float64))[1])))
        self.values = jax.jit(lambda qs: per_draw(jnp.stack(qs)))
        self.model, self.logp_and_grad = model, logp_and_grad
        self.make_chunk = lambda lg: make_chunk(lg, dim, self.length, max_treedepth, self.kind, rank)
        self.batched: dict = {}

    def runner(self, chain_method: str, chains: int, shard_data: bool = False):
        """The layout that advances the chains (``layouts``); the compiled programs of the
        batched layouts are kept, per number of chains."""
        if chain_method == "threads":
            return layouts.Threads(self.chunk, chains)
        key = (chain_method, chains, shard_data, jax.device_count())
        if key not in self.batched:
            sharded = None
            if shard_data:
                from exmc.sampler.sharding import ShardedLogp

                sharded = ShardedLogp(self.model, jax.device_count())
            self.batched[key] = layouts.Batched(chain_method, self.make_chunk, self.logp_and_grad,
                                                self.carry_template, chains, sharded)
        return self.batched[key]


def kernels(model: CompiledModel, max_treedepth: int, metric: str = "stan", dtype: str = "float64") -> _Kernels:
    cache = model.__dict__.setdefault("_kernels", {})
    if (max_treedepth, metric, dtype) not in cache:
        cache[max_treedepth, metric, dtype] = _Kernels(model, max_treedepth, metric, dtype)
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
    runner = k.runner(chain_method, chains, shard_data)
    # Ctrl-C under exmc.sample only asks to stop (interrupt.Guard): after a compilation,
    # before each chain's start and before each chunk, nothing more is compiled or run
    if interrupt.stopping():
        return
    schedule = adapt.schedule_for(k.kind, tune)
    target = k.dtype.type(target_accept)
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
                carries["last"] = k.chunk(chain_seeds[c], fresh, np.int32(0), schedule, target)[0]
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

    total_iterations = tune + drawn_before + draws
    n = min(FIRST_CHUNK, k.length)
    runner.sync()
    try:
        while done < total_iterations:
            # every process of a multi-host run goes on, and cuts its chunk, as process 0 does
            n, stop = runner.agree(n, interrupt.stopping())
            if stop:
                break
            phase_end = tune if done < tune else total_iterations
            n = max(1, min(n, phase_end - done, k.length))
            started = time.perf_counter()
            carries, outs, interrupted = runner.advance(chain_seeds, carries, n, schedule, target)
            elapsed = time.perf_counter() - started
            with x64(True):
                values = k.values(tuple(out["q"] for out in outs))
            warm = done < tune
            # Slice on the host (slicing device arrays by a varying n would compile each n) and
            # copy: a batch owns exactly its n draws, never a view that would keep the chunk's
            # whole output buffer (chains x buffer length x dim) alive as long as the batch
            draws_out = {name: np.array(np.asarray(v)[:, :n]) for name, v in values.items()}
            stats = {s: np.stack([np.asarray(out[s])[:n] for out in outs]) for s in STAT_NAMES}
            del values, outs
            done += n
            yield Batch(
                phase="warmup" if warm else "sampling",
                draws=draws_out,
                stats=stats,
                done=done if warm else done - tune,
                total=tune if warm else drawn_before + draws,
                state=SamplerState(model, tuple(carries), done, **settings),
            )
            if interrupted:
                raise KeyboardInterrupt
            per_iteration = elapsed / n
            n = int(np.clip(BATCH_SECONDS / max(per_iteration, 1e-7), 1, k.length))
    finally:
        runner.close()
