"""Batches in, a Trace out: each phase's draws copied into arrays allocated once.

``exmc.sample`` keeps no ``Batch``: it copies each one's draws and statistics into arrays of
the phase's full length, allocated when the phase's first batch arrives (``Batch.total``
and ``Batch.done`` say how many iterations the phase still has). Memory then grows with
the draws kept and nothing else; pages of the arrays not yet written are not touched, so an
interrupted run occupies what it drew. A batch is committed only once all of it is copied:
an interruption in the middle of ``add`` leaves the draws before it intact (decision 36).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

PHASES = ("warmup", "sampling")


class _Phase:
    """One phase's arrays, name -> (chains, capacity, *shape), and how many rows are filled."""

    def __init__(self):
        self.draws: dict[str, np.ndarray] | None = None
        self.stats: dict[str, np.ndarray] | None = None
        self.filled = 0

    def add(self, draws: Mapping[str, np.ndarray], stats: Mapping[str, np.ndarray], n: int, remaining: int) -> None:
        if self.draws is None:
            capacity = max(remaining, n)
            self.draws = {k: _empty(v, capacity) for k, v in draws.items()}
            self.stats = {k: _empty(v, capacity) for k, v in stats.items()}
        elif self.filled + n > _capacity(self.stats):
            # more batches than the first one announced (e.g. a stream and its resumption,
            # joined by trace_from_batches): grow by doubling, as a list would
            capacity = max(2 * _capacity(self.stats), self.filled + n)
            self.draws = {k: _grown(v, self.filled, capacity) for k, v in self.draws.items()}
            self.stats = {k: _grown(v, self.filled, capacity) for k, v in self.stats.items()}
        end = self.filled + n
        for name, values in draws.items():
            self.draws[name][:, self.filled:end] = values
        for name, values in stats.items():
            self.stats[name][:, self.filled:end] = values
        self.filled = end  # committed last: an interruption above leaves the earlier rows whole

    def arrays(self, template: "_Phase | None") -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        source = self if self.draws is not None else template
        if source is None or source.draws is None:
            return {}, {}
        n = self.filled if self.draws is not None else 0
        return ({k: v[:, :n] for k, v in source.draws.items()}, {k: v[:, :n] for k, v in source.stats.items()})


def _capacity(arrays: Mapping[str, np.ndarray]) -> int:
    return next(iter(arrays.values())).shape[1]


def _empty(block: np.ndarray, capacity: int) -> np.ndarray:
    block = np.asarray(block)
    return np.empty((block.shape[0], capacity) + block.shape[2:], dtype=block.dtype)


def _grown(array: np.ndarray, filled: int, capacity: int) -> np.ndarray:
    out = np.empty((array.shape[0], capacity) + array.shape[2:], dtype=array.dtype)
    out[:, :filled] = array[:, :filled]
    return out


class Collector:
    """Accumulates ``sample_stream`` batches; ``arrays()`` gives the trace's four groups."""

    def __init__(self):
        self.phases = {phase: _Phase() for phase in PHASES}

    def add(self, batch) -> None:
        # Batch.done counts the phase's iterations finished after this batch, out of total
        remaining = batch.total - batch.done + batch.n
        self.phases[batch.phase].add(batch.draws, batch.stats, batch.n, remaining)

    def drawn(self, phase: str = "sampling") -> int:
        """Iterations of ``phase`` kept so far, per chain."""
        return self.phases[phase].filled

    def arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """posterior, sample_stats, warmup_posterior, warmup_sample_stats: (chains, n, ...)
        views of the filled rows (a phase with no batch takes its names from the other)."""
        warm, samp = self.phases["warmup"], self.phases["sampling"]
        template = warm if warm.draws is not None else samp
        posterior, sample_stats = samp.arrays(template)
        warmup_posterior, warmup_sample_stats = warm.arrays(template)
        return {"posterior": posterior, "sample_stats": sample_stats,
                "warmup_posterior": warmup_posterior, "warmup_sample_stats": warmup_sample_stats}
