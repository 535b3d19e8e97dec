"""What the front end shows, as ops on its data sources, computed from a ``DrawStore``.

Two kinds of panels. Traces and the divergences on them grow: they are sent as deltas
(``stream`` ops with the new points) at every flush. Histograms, autocorrelations, the
summary table, the forest, pair and energy plots are recomputed from all draws and sent
whole (``replace``), at a slower cadence since they cost more.

A trace shows draws 0, s, 2s, ... of each chain, s the smallest power of two that keeps
at most ``trace_cap`` points (``prepare.thin_stride``): when the run outgrows the cap, s
doubles and the series is sent again whole, so however long the run, the browser holds a
bounded number of points and receives O(cap) per re-thinning, which happens O(log n) times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from exmc_widgets import palette, prepare
from exmc_widgets.protocol import replace_op, stream_op, table_op
from exmc_widgets.store import DrawStore

TRACE_CAP = 1000  # points per chain and phase in a trace panel
DIVERGENCE_CAP = 1000  # divergence markers per trace panel
PAIR_POINTS = 1000  # scatter points per pair-plot cell
PAIR_MAX = 4  # variables in the default pair plot
ACF_LAGS = 100
SUMMARY_BUDGET = 0.05  # seconds of summary statistics a slow update may spend (the rest waits its turn)
SLOW_PARTS = ("rows", "table", "pair", "energy")  # the recomputed panels, in the order they take turns
FINAL_SUMMARY_BUDGET = 0.12  # ... once sampling has ended, each of the updates that finish the table (0.2 overshot
# 0.25 s: the rate it is sized by was measured on fewer draws)
SUMMARY_MIN = 4  # ... but at least this many rows are refreshed each time


@dataclass
class Series:
    """What a growing source shows: draws 0, stride, 2 stride, ... below ``sent``."""

    stride: int = 1
    sent: int = 0
    fresh: bool = True  # nothing sent yet (or reset): the next op replaces


def advance(series: Series, n: int, cap: int) -> tuple[str, np.ndarray] | None:
    """The op that brings a source showing ``series`` up to ``n`` items: ("replace", indices)
    when it is fresh or its stride must grow, ("stream", new indices) otherwise, or None
    when there is nothing new to show."""
    stride = prepare.thin_stride(n, cap)
    if series.fresh or stride != series.stride:
        series.stride, series.sent, series.fresh = stride, n, False
        return "replace", np.arange(0, n, stride)
    if n == series.sent:
        return None
    first = -(-series.sent // stride) * stride
    series.sent = n
    indices = np.arange(first, n, stride)
    return ("stream", indices) if indices.size else None


def spec_variables(shapes: dict[str, tuple[int, ...]], axes=None) -> list[dict[str, object]]:
    axes = axes or {}
    return [{"name": n, "shape": list(s), "labels": prepare.element_labels(n, s, axes.get(n))} for n, s in shapes.items()]


class Display:
    """The panels' state: which element each row shows, what every source holds.

    store : the draws.
    tune : warmup iterations (warmup draw i is drawn at x = i - tune).
    pair : (variable, element) pairs in the pair plot.
    axes : variable -> each axis's labels, for variables with named dimensions (their
        elements are labelled ``ab[Adams, slope]``; ``exmc.dims.variable_axes``).
    """

    def __init__(self, store: DrawStore, tune: int, pair: list[tuple[str, int]] | None = None,
                 trace_cap: int = TRACE_CAP, divergence_cap: int = DIVERGENCE_CAP, pair_points: int = PAIR_POINTS,
                 axes=None):
        self.store = store
        self.tune = tune
        self.axes = dict(axes or {})
        self.labels = {n: prepare.element_labels(n, s, self.axes.get(n)) for n, s in store.shapes.items()}
        self.all = [(n, k) for n in store.shapes for k in range(len(self.labels[n]))]
        self.pair = list(pair) if pair is not None else self.all[:PAIR_MAX]
        self.trace_cap, self.divergence_cap, self.pair_points = trace_cap, divergence_cap, pair_points
        self.selection = dict.fromkeys(store.shapes, 0)
        self.series: dict[str, Series] = {}
        self.meta: dict[str, tuple[str, str, int]] = {}  # source -> (variable, phase, chain); chain -1: divergences
        self.slow: dict[str, dict] = {}  # the last slow ops, by source: what a snapshot resends
        # The summary rows, refreshed a slice at a time (``_summary_slice``): label -> stats.
        self.summary: dict[str, dict[str, float]] = {}
        self.summary_next = 0  # the first element of the next slice
        self.summary_rate = 0.0  # element-draws a second the last slice took (0: not measured)
        self.summary_budget = SUMMARY_BUDGET
        self.summary_n: dict[str, int] = {}  # label -> sampling draws its row was computed from

    # The spec the front end builds its figures from.
    def spec(self) -> dict[str, object]:
        return {
            "variables": spec_variables(self.store.shapes, self.axes),
            "chains": self.store.chains,
            "pair": [self.labels[n][k] for n, k in self.pair],
            "forest": [self.labels[n][k] for n, k in self.all],
            "summary_columns": ["", *prepare.SUMMARY_COLUMNS],
        }

    def select(self, name: str, element: int) -> None:
        """Show element ``element`` of vector variable ``name`` in its row."""
        if name not in self.selection:
            raise KeyError(f"no variable {name!r} in the dashboard")
        if not 0 <= element < len(self.labels[name]):
            raise IndexError(f"{name} has {len(self.labels[name])} elements, got element {element}")
        self.selection[name] = element
        for key, (variable, _, _) in self.meta.items():
            if variable == name:
                self.series[key] = Series()

    # Growing sources.
    def _series(self, key: str, name: str, phase: str, chain: int) -> Series:
        if key not in self.series:
            self.series[key], self.meta[key] = Series(), (name, phase, chain)
        return self.series[key]

    def _series_data(self, key: str, idx: np.ndarray) -> dict[str, np.ndarray]:
        """The points ``idx`` of a growing source: (draw, value) pairs."""
        name, phase, chain = self.meta[key]
        values = self.store.values(phase, name, self.selection[name])
        if chain < 0:
            chains, index = self.store.divergences()
            return {"x": index[idx], "y": values[chains[idx], index[idx]]}
        offset = -self.tune if phase == "warmup" else 0
        return {"x": idx + offset, "y": values[chain, idx]}

    def fast_ops(self) -> list[dict]:
        """Deltas bringing every trace and divergence source up to the store."""
        ops = []
        for name in self.store.shapes:
            for phase, tag in (("warmup", "w"), ("sampling", "s")):
                n = self.store.n(phase)
                for c in range(self.store.chains):
                    key = f"trace/{name}/{tag}{c}"
                    ops += self._advance(key, self._series(key, name, phase, c), n, self.trace_cap)
            key = f"div/{name}"
            n = self.store.divergences()[0].size
            ops += self._advance(key, self._series(key, name, "sampling", -1), n, self.divergence_cap)
        return ops

    def _advance(self, key: str, series: Series, n: int, cap: int) -> list[dict]:
        step = advance(series, n, cap)
        if step is None:
            return []
        kind, idx = step
        return [(replace_op if kind == "replace" else stream_op)(key, self._series_data(key, idx))]

    def _series_snapshot(self) -> list[dict]:
        return [
            replace_op(key, self._series_data(key, np.arange(0, series.sent, series.stride)))
            for key, series in self.series.items() if not series.fresh
        ]

    # Recomputed sources.
    @property
    def slow_phase(self) -> str:
        """The draws the recomputed panels describe: the sampling draws, or while there are
        none yet the warmup draws so far (so that every panel shows something from the first
        batch on; the header says which phase it is)."""
        return "sampling" if self.store.n("sampling") > 0 else "warmup"

    def slow_ops(self, rows_only: list[str] | None = None, every: bool = True,
                 parts: tuple[str, ...] = SLOW_PARTS) -> list[dict]:
        """Histograms, autocorrelations and rank plots of each row's element, then (unless
        ``rows_only`` names the rows to redo) the summary table, forest, pair and energy plots.
        ``every=False`` refreshes only a slice of the summary's rows (``_summary_slice``), so
        that an update's cost does not grow with the number of elements shown; ``parts``
        chooses among the rows' panels, the table (and forest), the pair and energy plots
        (``SLOW_PARTS``), which the live dashboard refreshes one per update in turn."""
        ops = []
        if "rows" in parts or rows_only is not None:
            for name in rows_only if rows_only is not None else self.store.shapes:
                x = self.store.values(self.slow_phase, name, self.selection[name])
                ops.append(replace_op(f"hist/{name}", prepare.histogram(x)))
                ops.append(replace_op(f"acf/{name}", prepare.autocorrelation(x, ACF_LAGS)))
                ops.append(replace_op(f"rank/{name}", prepare.rank_histogram(x)))
        if rows_only is None:
            ops += self._table_forest(every=every) if "table" in parts else []
            ops += self._pair() if "pair" in parts else []
            ops += self._energy() if "energy" in parts else []
        for op in ops:
            self.slow[op["source"] if "source" in op else "$table"] = op
        return ops

    def _summary_slice(self, every: bool) -> None:
        """Recompute the summary statistics of every element (``every``) or of the next
        slice, as many as ``SUMMARY_BUDGET`` seconds allow at the last measured rate, going
        round the elements: with many elements shown, each row is at most a few updates old.
        A row costs in proportion to the draws it reads, and the draws grow between slices, so
        the rate is per element and draw, and the slice is sized for the draws it will read."""
        total = len(self.all)
        draws = self.store.n(self.slow_phase)
        if total == 0 or draws == 0:
            return
        if every:
            start, count = 0, total
        else:
            affordable = int(self.summary_budget * self.summary_rate / draws)
            count = max(SUMMARY_MIN, affordable) if self.summary_rate else SUMMARY_MIN
            start, count = self.summary_next % total, min(count, total)
        chosen = [self.all[(start + i) % total] for i in range(count)]
        started = time.perf_counter()
        phase = self.slow_phase
        x = np.stack([self.store.values(phase, n, k) for n, k in chosen], axis=2)
        labels = [self.labels[n][k] for n, k in chosen]
        self.summary.update(prepare.summary_table(labels, x)["stats"])
        self.summary_n.update(dict.fromkeys(labels, (phase, self.store.n(phase))))
        took = time.perf_counter() - started
        self.summary_rate = count * draws / took if took > 0 else 0.0
        self.summary_next = (start + count) % total

    def summary_stale(self) -> int:
        """How many summary rows were computed from fewer draws than the store holds."""
        phase = self.slow_phase
        n = (phase, self.store.n(phase))
        return sum(self.summary_n.get(self.labels[name][k]) != n for name, k in self.all) if n[1] else 0

    def _table_forest(self, every: bool = True) -> list[dict]:
        self._summary_slice(every)
        labels = [self.labels[n][k] for n, k in self.all]
        missing = dict.fromkeys(prepare.SUMMARY_COLUMNS, float("nan"))
        stats = [self.summary.get(label, missing) for label in labels]
        rows = [[label] + [prepare.format_stat(c, s[c]) for c in prepare.SUMMARY_COLUMNS] for label, s in zip(labels, stats)]
        rhat = np.array([s["r_hat"] for s in stats], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            flagged = [bool(r > prepare.RHAT_FLAG) for r in rhat]
        chains = self.store.chains
        low = [[bool(prepare.low_ess(s["ess_bulk"], chains)), bool(prepare.low_ess(s["ess_tail"], chains))] for s in stats]
        forest = prepare.forest(stats)
        forest["color"] = np.where(forest.pop("flag") > 0, palette.RED, palette.WHITE)
        return [table_op(["", *prepare.SUMMARY_COLUMNS], rows, flagged, low), replace_op("forest", forest)]

    def _pair(self) -> list[dict]:
        ops = []
        columns = [self.store.values(self.slow_phase, n, k) for n, k in self.pair]
        diverging = self.store.stat(self.slow_phase, "diverging").astype(bool)
        for i, x in enumerate(columns):
            ops.append(replace_op(f"pairhist/{i}", prepare.histogram(x)))
            for j, y in enumerate(columns[:i]):
                cell = prepare.pair_scatter(y, x, diverging, self.pair_points)
                ops.append(replace_op(f"pair/{i}/{j}", {"x": cell["x"], "y": cell["y"]}))
                ops.append(replace_op(f"pairdiv/{i}/{j}", {"x": cell["dx"], "y": cell["dy"]}))
                r = prepare.correlation(x, y)
                text = "" if not np.isfinite(r) else f"{r:.2f}"
                ops.append(replace_op(f"paircorr/{j}/{i}", {"x": [0.0], "y": [0.0], "text": np.array([text]),
                                                             "size": [abs(r) if np.isfinite(r) else 0.0]}))
        return ops

    def _energy(self) -> list[dict]:
        plot = prepare.energy(self.store.stat(self.slow_phase, "energy"))
        finite = plot["bfmi"][np.isfinite(plot["bfmi"])]
        text = "E-BFMI by chain: " + ", ".join(f"{b:.2f}" for b in finite) if finite.size else ""
        return [
            replace_op("energy/marginal", plot["marginal"]),
            replace_op("energy/transition", plot["transition"]),
            replace_op("energy/bfmi", {"text": np.array([text])}),
        ]

    def snapshot_ops(self) -> list[dict]:
        """Everything a new view needs to show what the others show."""
        return self._series_snapshot() + list(self.slow.values())
