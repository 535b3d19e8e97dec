"""The draws received so far, kept for the dashboard and for ``dash.trace``.

``DrawStore`` keeps, for the panels, each variable's warmup and sampling draws in arrays
that grow by doubling: appending a batch costs its own size, and a panel reads a view of
all draws so far without copying. (``dash.trace`` is built from the batches themselves,
with ``exmc.trace_from_batches``, so it is exactly the sampler's trace.)
"""

from __future__ import annotations

from typing import Mapping

import numpy as np


class Growable:
    """An array (chains, n, *tail) that grows along axis 1 by doubling its capacity."""

    def __init__(self, chains: int, tail: tuple[int, ...] = (), dtype=np.float64, capacity: int = 64):
        self._data = np.empty((chains, capacity, *tail), dtype=dtype)
        self.n = 0

    def append(self, block: np.ndarray) -> None:
        k = block.shape[1]
        if self.n + k > self._data.shape[1]:
            capacity = max(2 * self._data.shape[1], self.n + k)
            grown = np.empty((self._data.shape[0], capacity, *self._data.shape[2:]), dtype=self._data.dtype)
            grown[:, : self.n] = self._data[:, : self.n]
            self._data = grown
        self._data[:, self.n : self.n + k] = block
        self.n += k

    @property
    def values(self) -> np.ndarray:
        """A read-only view of the n values so far."""
        view = self._data[:, : self.n]
        view.flags.writeable = False
        return view


class DrawStore:
    """Warmup and sampling draws (flattened to scalar elements) and sampler statistics.

    names : variable name -> shape, the variables shown.
    """

    def __init__(self, names: Mapping[str, tuple[int, ...]], chains: int):
        self.shapes = dict(names)
        self.chains = chains
        size = {name: int(np.prod(shape, dtype=int)) for name, shape in self.shapes.items()}
        self.draws = {phase: {n: Growable(chains, (size[n],)) for n in self.shapes} for phase in ("warmup", "sampling")}
        self.stats: dict[str, dict[str, Growable]] = {"warmup": {}, "sampling": {}}
        # divergent sampling draws in arrival order: their chain and draw index
        self.div_chain = Growable(1, (), np.int64)
        self.div_index = Growable(1, (), np.int64)
        self.last = None  # the last batch received
        self.batches = 0  # batches appended: the store holds exactly the first ``batches`` of a run

    def n(self, phase: str) -> int:
        return next(iter(self.draws[phase].values())).n if self.draws[phase] else 0

    def append(self, batch) -> None:
        """Add one ``exmc.Batch`` (phase, draws (chains, n_new, *shape), stats (chains, n_new))."""
        phase = batch.phase
        start = self.n(phase)
        for name in self.shapes:
            block = np.asarray(batch.draws[name], dtype=np.float64)
            self.draws[phase][name].append(block.reshape(block.shape[0], block.shape[1], -1))
        for stat, values in batch.stats.items():
            store = self.stats[phase].get(stat)
            if store is None:
                store = self.stats[phase][stat] = Growable(self.chains, (), np.asarray(values).dtype)
            store.append(np.asarray(values))
        if phase == "sampling":
            chain, index = np.nonzero(np.asarray(batch.stats["diverging"]))
            order = np.lexsort((chain, index))  # by draw, then chain
            self.div_chain.append(chain[order][None, :])
            self.div_index.append((index[order] + start)[None, :])
        self.last = batch
        self.batches += 1

    def show(self, names: Mapping[str, tuple[int, ...]], batches) -> None:
        """Hold exactly the variables ``names`` (name -> shape), in that order: a variable
        not held yet is filled from ``batches``, the batches appended so far (the first
        ``self.batches`` of them are read); one no longer shown is dropped, so that the store
        costs only what the dashboard shows."""
        batches = list(batches)[: self.batches]
        size = {name: int(np.prod(shape, dtype=int)) for name, shape in names.items()}
        draws = {phase: {} for phase in ("warmup", "sampling")}
        for name in names:
            for phase in draws:
                held = self.draws[phase].get(name)
                if held is None:
                    held = Growable(self.chains, (size[name],))
                    for batch in batches:
                        if batch.phase == phase:
                            block = np.asarray(batch.draws[name], dtype=np.float64)
                            held.append(block.reshape(block.shape[0], block.shape[1], -1))
                draws[phase][name] = held
        self.shapes, self.draws = dict(names), draws

    def values(self, phase: str, name: str, element: int) -> np.ndarray:
        """(chains, n) draws of one scalar element."""
        return self.draws[phase][name].values[:, :, element]

    def stat(self, phase: str, stat: str) -> np.ndarray:
        store = self.stats[phase].get(stat)
        return store.values if store is not None else np.zeros((self.chains, 0))

    def divergences(self) -> tuple[np.ndarray, np.ndarray]:
        """Chain and draw index of every divergent sampling draw, in arrival order."""
        return self.div_chain.values[0], self.div_index.values[0]

    @classmethod
    def from_trace(cls, trace, names: Mapping[str, tuple[int, ...]]) -> "DrawStore":
        """A store holding a finished trace's warmup and sampling draws."""
        store = cls(names, trace.n_chains)
        for phase, posterior, stats in (
            ("warmup", trace.warmup_posterior, trace.warmup_sample_stats),
            ("sampling", trace.posterior, trace.sample_stats),
        ):
            if stats and next(iter(stats.values())).shape[1] > 0:
                store.append(_TraceBlock(phase, posterior, stats))
        store.last = None  # no batch: nothing to continue from
        return store


def trace_blocks(trace) -> list:
    """A finished trace's phases as batches, for ``DrawStore.show``."""
    return [_TraceBlock(phase, posterior, stats) for phase, posterior, stats in (
        ("warmup", trace.warmup_posterior, trace.warmup_sample_stats),
        ("sampling", trace.posterior, trace.sample_stats),
    ) if stats and next(iter(stats.values())).shape[1] > 0]


class _TraceBlock:
    """A finished trace's phase, shaped like a batch for ``DrawStore.append``."""

    def __init__(self, phase, draws, stats):
        self.phase, self.draws, self.stats = phase, draws, stats
        self.state = None
