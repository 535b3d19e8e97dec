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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc._x64 import x64
from exmc.compile.model import CompiledModel
from exmc.sampler import adapt, interrupt, rng
from exmc.sampler.chunk import STAT_NAMES, fresh_carry, make_chunk, make_init, resolve

BATCH_SECONDS = 0.25
FIRST_CHUNK = 8
# a batch's iterations cost at least this many times the fixed cost of one round of calls
OVERHEAD_FACTOR = 3


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
    The model's data (``model.data``) are the chunk's last argument, not constants in it,
    so a model that differs only in its data values runs the same executable (decision 57).
    """

    def __init__(self, model: CompiledModel, max_treedepth: int, metric: str):
        dim = model.dim
        self.length = _buffer_length(dim)
        value_and_grad = jax.value_and_grad(model.logp_fn)
        self.kind, rank = resolve(metric, dim)
        kind, length = self.kind, self.length

        def run(seed, carry, n, schedule, target, data):
            step = make_chunk(lambda q: value_and_grad(q, data), dim, length, max_treedepth, kind, rank)
            return step(seed, carry, n, schedule, target)

        with x64(True):
            data_spec = {k: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype) for k, v in model.data.items()}
            seed = jax.ShapeDtypeStruct((), jnp.uint64)
            carry = jax.eval_shape(
                lambda q0, data: make_init(lambda q: value_and_grad(q, data), self.kind, rank)(q0),
                jax.ShapeDtypeStruct((dim,), jnp.float64), data_spec,
            )
            self.carry_template = carry
            self.chunk = jax.jit(run).lower(
                seed, carry, jax.ShapeDtypeStruct((), jnp.int32),
                jax.ShapeDtypeStruct((adapt.MAX_WINDOWS,), jnp.int32), jax.ShapeDtypeStruct((), jnp.float64),
                data_spec,
            ).compile()

        # chains x (length, dim) -> name -> (chains, length, *shape); stacked inside, so that
        # nothing outside the model's own functions compiles per number of chains
        def values(qs, data):
            one = jax.vmap(jax.vmap(lambda q: model._reported(model.evaluate(q, data)[1])))
            return one(jnp.stack(qs))

        self.values = jax.jit(values)


# Kernels shared by models that differ only in their data (CompiledModel.structure_key):
# weak, so that they live as long as some model holds them (each model holds its own).
_shared: "weakref.WeakValueDictionary[tuple, _Kernels]" = weakref.WeakValueDictionary()


def kernels(model: CompiledModel, max_treedepth: int, metric: str = "stan") -> _Kernels:
    cache = model.__dict__.setdefault("_kernels", {})
    if (max_treedepth, metric) not in cache:
        key = (model.structure_key(), max_treedepth, metric)
        shared = _shared.get(key)
        if shared is None:
            shared = _Kernels(model, max_treedepth, metric)
            _shared[key] = shared
        cache[max_treedepth, metric] = shared
    return cache[max_treedepth, metric]


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
) -> Iterator[Batch]:
    """Yield batches until ``tune`` warmup and ``draws`` sampling iterations are done.

    With ``resume``, the chains go on from that state (the rest of its warmup, if it stopped
    there, then ``draws`` more draws); its settings replace the arguments.
    """
    if resume is not None:
        tune, chains, seed = resume.tune, resume.chains, resume.seed
        target_accept, max_treedepth, metric = resume.target_accept, resume.max_treedepth, resume.metric
    k = kernels(model, max_treedepth, metric)
    data = model.data  # this model's values, for the shared executable (decision 57)
    # Ctrl-C under exmc.sample only asks to stop (interrupt.Guard): after a compilation,
    # before each chain's start and before each chunk, nothing more is compiled or run
    if interrupt.stopping():
        return
    schedule = adapt.schedule_for(k.kind, tune)
    target = np.float64(target_accept)
    settings = dict(tune=tune, chains=chains, seed=seed, target_accept=target_accept,
                    max_treedepth=max_treedepth, metric=metric)
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

    def advance(c: int, n: int):
        with x64(True):
            carry, out = k.chunk(chain_seeds[c], carries[c], np.int32(n), schedule, target, data)
            jax.block_until_ready(out)
            return carry, out

    total_iterations = tune + drawn_before + draws
    n = min(FIRST_CHUNK, k.length)
    with ThreadPoolExecutor(max_workers=chains, thread_name_prefix="exmc-chain") as pool:
        overhead = _round_overhead(pool, advance, chains)
        while done < total_iterations and not interrupt.stopping():
            phase_end = tune if done < tune else total_iterations
            n = max(1, min(n, phase_end - done, k.length))
            started = time.perf_counter()
            futures = [pool.submit(advance, c, n) for c in range(chains)]
            try:
                results = [f.result() for f in futures]
                interrupted = False
            except KeyboardInterrupt:
                # The chunks in flight finish within a batch's time: keep their draws too.
                results = [f.result() for f in futures]
                interrupted = True
            elapsed = time.perf_counter() - started
            carries = [r[0] for r in results]
            with x64(True):
                values = k.values(tuple(r[1]["q"] for r in results), data)
            warm = done < tune
            # Slice on the host (slicing device arrays by a varying n would compile each n) and
            # copy: a batch owns exactly its n draws, never a view that would keep the chunk's
            # whole output buffer (chains x buffer length x dim) alive as long as the batch
            draws_out = {name: np.array(np.asarray(v)[:, :n]) for name, v in values.items()}
            stats = {s: np.stack([np.asarray(r[1][s])[:n] for r in results]) for s in STAT_NAMES}
            del values, results
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
            n = next_chunk_length(elapsed, n, overhead, k.length)


def _round_overhead(pool: ThreadPoolExecutor, advance, chains: int) -> float:
    """Seconds one round of chunk calls costs with no iterations: dispatch, argument
    handling and thread hand-off, about a millisecond a chain. The results are dropped
    (the chunk is a pure function of its arguments), so this changes no draw."""
    started = time.perf_counter()
    futures = [pool.submit(advance, c, 0) for c in range(chains)]
    try:
        for f in futures:
            f.result()
    except KeyboardInterrupt:
        for f in futures:
            f.result()
        raise
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
