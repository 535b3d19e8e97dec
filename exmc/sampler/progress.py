"""A one-line terminal progress bar: phase, iterations, draws/s, divergences, step size."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, tune: int, draws: int, chains: int, stream=None):
        self.tune, self.draws, self.chains = tune, draws, chains
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.divergences = 0
        self.iterations = 0
        self.clock: tuple[float, int] | None = None  # (time, iterations) at the first batch

    def update(self, batch) -> None:
        self.iterations += batch.n
        if batch.phase == "sampling":
            self.divergences += int(batch.stats["diverging"].sum())
        now = time.perf_counter()
        # The rate counts from the first batch: before it, the time went to compiling.
        if self.clock is None:
            self.clock = (now, self.iterations)
        since, base = self.clock
        rate = (self.iterations - base) * self.chains / max(now - since, 1e-9)
        width = 24
        filled = int(width * self.iterations / max(self.tune + self.draws, 1))
        bar = "#" * filled + "-" * (width - filled)
        step = float(batch.stats["step_size"][:, -1].mean())
        self.stream.write(
            f"\r[{bar}] {batch.phase:8s} {batch.done}/{batch.total} | "
            f"{f'{rate:,.0f} draws/s' if rate > 0 else 'starting'} | "
            f"{self.divergences} divergences | step size {step:.3g}   "
        )
        self.stream.flush()

    def close(self) -> None:
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\n{self.chains} chains, {self.iterations} iterations each, in {elapsed:.1f} s\n")
        self.stream.flush()
