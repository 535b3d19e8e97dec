"""Where chains run: in threads, vmapped on one device, or spread over a mesh of devices.

A layout advances every chain by ``n`` iterations of the compiled chunk (``chunk.py``) and
hands back, per chain, its new carry and the chunk's output buffers as host arrays. The
driver (``driver.py``) sizes the chunks, turns the outputs into batches and never needs to
know which layout ran them.

- ``threads`` (the CPU default): one executable for one chain, called from one thread per
  chain (decision 15). Chains never wait for each other inside a chunk.
- ``vectorized``: ``jax.jit(jax.vmap(chunk))`` on one device. Every chain's tree is built
  in lockstep (``lax.cond`` becomes a select, while loops run until the last chain stops);
  this pays off on an accelerator with a large likelihood, not on a CPU.
- ``devices``: ``jax.jit(jax.shard_map(chunk, ...))`` over a mesh whose ``chains`` axis
  spans the devices (every device of every process after ``jax.distributed.initialize``);
  chains beyond one per device are vmapped within their device. Letting ``jit`` partition the
  NUTS loop from input shardings instead puts an all-reduce in the while loop's condition
  (21 s against 0.3 s on a toy): ``shard_map`` keeps every device's chains to themselves, and
  the compiled program holds no collective at all (a test checks its HLO).
  With ``shard_data`` the mesh also has a ``data`` axis: the rows of the observed data are
  split over it and each log-density evaluation adds the devices' sums through one
  collective, in device order (``sharding.py``).

Reproducibility (decision 66): an iteration's randomness depends only on the chain's seed and
the iteration's number, so every layout draws from the same random numbers. ``devices``
with one chain per device runs the threaded program's operations, with the data as
arguments as threads have them: its draws equal the threaded ones bit for bit on the tested
models (eight schools), though XLA may fuse the partitioned program's arithmetic otherwise on
larger ones (6e-10 apart after 50 warmup iterations on a 10^4-row regression, decision 66). Vmapped chains (``vectorized``, or several chains per device) run the same
arithmetic through batched kernels, which may round differently: their draws differ from the
threaded ones at 1e-16 after a few iterations and then, NUTS being chaotic, entirely; they are
still reproducible run to run for one layout, device count and machine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from exmc import errors as E
from exmc._x64 import x64
from exmc.sampler import adapt

CHAIN_METHODS = ("auto", "threads", "devices", "vectorized")


def resolve(chain_method: str, chains: int, shard_data: bool = False) -> str:
    """The layout ``chain_method`` stands for with ``chains`` chains on this JAX runtime.

    "auto": several processes (``jax.distributed``) or ``shard_data`` -> "devices"; a CPU ->
    "threads" (every core busy, no lockstep); an accelerator -> "devices" when it has several
    devices and the chains fill them evenly, else "vectorized". Raises ``SettingsError`` for a
    layout that cannot run these chains (see ``check``)."""
    if chain_method not in CHAIN_METHODS:
        raise E.SettingsError(None, f"chain_method must be one of {', '.join(CHAIN_METHODS)}, got {chain_method!r}")
    if chain_method == "auto":
        devices = jax.device_count()
        if jax.process_count() > 1 or shard_data:
            chain_method = "devices"
        elif jax.default_backend() == "cpu":
            chain_method = "threads"
        else:
            chain_method = "devices" if devices > 1 and chains % devices == 0 else "vectorized"
    check(chain_method, chains, shard_data)
    return chain_method


def check(layout: str, chains: int, shard_data: bool) -> None:
    """Refuse, before any compilation, what a layout cannot do."""
    if layout == "threads" and jax.process_count() > 1:
        raise E.SettingsError(None, 'chain_method="threads" runs on one process: after jax.distributed.initialize '
                                    'use "devices" (or "auto")')
    if shard_data and layout != "devices":
        raise E.SettingsError(None, f'shard_data=True splits rows over devices: it needs chain_method="devices" '
                                    f'(or "auto"), got {layout!r}')
    if layout == "devices" and not shard_data:
        devices = jax.device_count()
        if chains % devices:
            raise E.SettingsError(
                None, f'chain_method="devices": {chains} chains cannot be spread evenly over {devices} devices; '
                f'use a multiple of {devices} chains (or chain_method="vectorized" / "threads")')


def chain_mesh(shard_data: bool) -> Mesh:
    """All devices (of all processes), on a ``chains`` axis, or on a ``data`` axis with
    ``shard_data`` (every device then holds every chain and a slice of the rows)."""
    devices = np.array(jax.devices())
    if shard_data:
        return Mesh(devices.reshape(1, -1), ("chains", "data"))
    return Mesh(devices.reshape(-1, 1), ("chains", "data"))


def to_global(host, sharding: NamedSharding):
    """A host array as a global array of ``sharding``: each process puts its own devices'
    pieces (every process holds the whole host array: they all ran the same computation)."""
    host = np.asarray(host)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def to_host(x) -> np.ndarray:
    """A (possibly global) array on the host, whole: a collective when it spans processes
    (every process calls it, in the same order)."""
    if getattr(x, "is_fully_addressable", True):
        return np.asarray(x)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(x, tiled=True))


def unstack(tree, chains: int) -> list:
    """A pytree of (chains, ...) host arrays -> one pytree per chain."""
    return [jax.tree.map(lambda x, c=c: x[c], tree) for c in range(chains)]


def stack(trees: list):
    return jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


BARRIER_SECONDS = 600
_barriers = [0]


def barrier(name: str) -> None:
    """Every process of a ``jax.distributed`` run waits here for the others (nothing on one
    process). Names are numbered: each call is a barrier of its own, met in the same order."""
    if jax.process_count() == 1:
        return
    from jax._src import distributed

    _barriers[0] += 1
    distributed.global_state.client.wait_at_barrier(f"{name}-{_barriers[0]}", BARRIER_SECONDS * 1000)


class Threads:
    """One executable for one chain, one thread per chain (the driver's original layout)."""

    name = "threads"

    def __init__(self, chunk, chains: int, data=None):
        # data: the model's data, the shared executable's last argument (decision 57)
        self.chunk, self.chains, self.data = chunk, chains, {} if data is None else data
        self.pool = None

    def advance(self, seeds, carries: list, n: int, schedule, target) -> tuple[list, list, bool]:
        """Every chain ``n`` iterations on: (carries, outputs, interrupted); on Ctrl-C the
        chunks in flight finish (within a batch's time) and their draws are kept."""
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.chains, thread_name_prefix="exmc-chain")

        def one(c):
            with x64(True):
                carry, out = self.chunk(seeds[c], carries[c], np.int32(n), schedule, target, self.data)
                jax.block_until_ready(out)
                return carry, out

        futures = [self.pool.submit(one, c) for c in range(self.chains)]
        try:
            results = [f.result() for f in futures]
            interrupted = False
        except KeyboardInterrupt:
            results = [f.result() for f in futures]
            interrupted = True
        return [r[0] for r in results], [r[1] for r in results], interrupted

    def sync(self) -> None:
        pass

    def agree(self, n: int, stop: bool) -> tuple[int, bool]:
        return n, stop

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


class Batched:
    """Every chain in one call of one compiled program: ``vectorized`` (vmap on the default
    device) or ``devices`` (shard_map over the chain mesh, vmap within a device).

    ``make_chunk(logp_and_grad)`` builds the one-chain chunk around a log-density; with
    ``shard_data``, ``sharded`` (``sharding.ShardedLogp``) supplies the per-device one and the
    row-split data the program takes as its last argument.
    """

    def __init__(self, layout: str, make_chunk: Callable, value_and_grad, data, carry_template, chains: int,
                 sharded=None):
        # value_and_grad(q, data) -> (logp, grad); data: the model's data, an argument of the
        # program as of the threaded executable (decision 57), so that one chain per device
        # runs the threaded arithmetic (constants would let XLA fold them another way)
        self.name, self.chains = layout, chains
        self.sharded = sharded
        per_chain = jax.ShapeDtypeStruct
        with x64(True):
            seeds = per_chain((chains,), jnp.uint64)
            carries = jax.tree.map(lambda s: per_chain((chains,) + s.shape, s.dtype), carry_template)
            scalars = (per_chain((), jnp.int32), per_chain((adapt.MAX_WINDOWS,), jnp.int32),
                       per_chain((), carry_template.step_size.dtype))
            if layout == "vectorized":
                def fn(seeds, carries, n, schedule, target, data):
                    chunk = make_chunk(lambda q: value_and_grad(q, data))
                    return jax.vmap(chunk, in_axes=(0, 0, None, None, None))(seeds, carries, n, schedule, target)

                self.mesh = None
                self.program = jax.jit(fn)
                self.data_args = (data,)
                shapes = [jax.tree.map(lambda a: per_chain(np.shape(a), np.asarray(a).dtype), data)]
            else:
                self.mesh = mesh = chain_mesh(sharded is not None)
                self.per_device = chains // mesh.shape["chains"]
                spread, same = NamedSharding(mesh, P("chains")), NamedSharding(mesh, P())
                self.spread, self.same = spread, same
                body, data_specs, data_args, data_shardings = self._body(make_chunk, value_and_grad, data)
                mapped = jax.shard_map(
                    body, mesh=mesh,
                    in_specs=(P("chains"), P("chains"), P(), P(), P(), *data_specs),
                    out_specs=P("chains"),
                    # the chunk's lax.cond branches mix per-chain values and constants
                    check_vma=False,
                )
                self.program = jax.jit(mapped, in_shardings=(spread, spread, same, same, same, *data_shardings),
                                       out_shardings=spread)
                self.data_args = data_args
                shapes = [jax.tree.map(lambda a: per_chain(a.shape, a.dtype), a) for a in data_args]
            self.lowered = self.program.lower(seeds, carries, *scalars, *shapes)
            self.compiled = self.lowered.compile()

    def _body(self, make_chunk, value_and_grad, data):
        per_device = self.per_device

        def run(chunk, seeds, carries, n, schedule, target):
            if per_device == 1:  # the threaded program itself: draws bitwise equal on the tested models (decision 66)
                carry, out = chunk(seeds[0], jax.tree.map(lambda x: x[0], carries), n, schedule, target)
                return jax.tree.map(lambda x: x[None], (carry, out))
            return jax.vmap(chunk, in_axes=(0, 0, None, None, None))(seeds, carries, n, schedule, target)

        if self.sharded is None:
            def body(seeds, carries, n, schedule, target, data):
                return run(make_chunk(lambda q: value_and_grad(q, data)), seeds, carries, n, schedule, target)

            args = (jax.tree.map(lambda a: to_global(a, self.same), data),)
            return body, (P(),), args, (self.same,)
        sharded = self.sharded
        rows = NamedSharding(self.mesh, P("data"))

        def body(seeds, carries, n, schedule, target, *local):
            chunk = make_chunk(sharded.logp_and_grad(local, "data"))
            return run(chunk, seeds, carries, n, schedule, target)

        args = tuple(to_global(a, rows) for a in sharded.split_rows)
        return body, tuple(P("data") for _ in args), args, tuple(rows for _ in args)

    def hlo(self) -> str:
        """The compiled program's HLO text (a test checks a chain-sharded one has no all-reduce)."""
        return self.compiled.as_text()

    def advance(self, seeds, carries: list, n: int, schedule, target) -> tuple[list, list, bool]:
        with x64(True):
            seeds = np.asarray(seeds, np.uint64)
            stacked = stack(carries)
            args = (seeds, stacked, np.int32(n), np.asarray(schedule), target)
            if self.mesh is not None:
                args = (to_global(seeds, self.spread), jax.tree.map(lambda x: to_global(x, self.spread), stacked),
                        *(to_global(a, self.same) for a in args[2:]))
            carry, out = self.compiled(*args, *self.data_args)
            carry, out = jax.tree.map(to_host, (carry, out))
        return unstack(carry, self.chains), unstack(out, self.chains), False

    def sync(self) -> None:
        """Before the first collective: wait (up to ``BARRIER_SECONDS``) until every process
        has compiled and started its chains. Processes compile at their own pace (one may find
        the programs in the compilation cache, another not), and gloo gives up on a
        collective whose peers are 30 s late; the coordination service's barrier waits."""
        barrier("exmc-sample")

    def agree(self, n: int, stop: bool) -> tuple[int, bool]:
        """Every process runs the chunk length and the stop decision of process 0 (its
        timings differ; a collective all of them must call the same way)."""
        if jax.process_count() == 1:
            return n, stop
        from jax.experimental import multihost_utils

        both = multihost_utils.broadcast_one_to_all(np.array([n, int(stop)], np.int64))
        return int(both[0]), bool(both[1])

    def close(self) -> None:
        pass

