"""All the dashboard's numerics: plain arrays in, plain arrays out (the seed's ``Prepare``).

The front end only arranges glyphs from what these functions return: histograms, the
autocorrelation, summary statistics, the pair plot's thinned scatter and correlations, the
energy plot's histograms, and which draws a trace shows. Every function is pure and works on
(chain, draw) arrays of one scalar quantity unless it says otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from exmc.diagnostics import ess_bulk, ess_tail, hdi, rhat

HDI_PROB = 0.94
MIN_BINS, MAX_BINS = 10, 60
RHAT_FLAG = 1.01  # R-hat above this is flagged (Vehtari et al. 2021)


def element_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    """Labels of a variable's scalar elements in C order, as ArviZ writes them:
    ``mu``; ``theta[0]``, ``theta[1]``; ``x[0, 1]``."""
    if not shape:
        return [name]
    return [f"{name}[{', '.join(map(str, index))}]" for index in np.ndindex(*shape)]


def flat_elements(values: np.ndarray) -> np.ndarray:
    """(chains, draws, *shape) -> (chains, draws, size): element k is ``element_labels``' k-th."""
    values = np.asarray(values)
    return values.reshape(values.shape[0], values.shape[1], -1)


def thin_stride(n: int, cap: int) -> int:
    """The smallest power of two s with ceil(n / s) <= cap: a series of n draws shown as
    draws 0, s, 2s, ... never holds more than ``cap`` points. Powers of two let a shown
    series thin further by dropping every other point (what is shown stays a subset)."""
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    stride = 1
    while -(-n // stride) > cap:
        stride *= 2
    return stride


def histogram(x: np.ndarray, bins: int | None = None) -> dict[str, np.ndarray]:
    """Density histogram of all draws pooled: ``left``, ``right`` (bin edges) and ``top``.

    Without ``bins``, numpy's "auto" rule (the larger of Sturges' and Freedman-Diaconis'
    bin counts), kept within 10..60 bins so that a panel stays readable.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        empty = np.zeros(0)
        return {"left": empty, "right": empty, "top": empty}
    if bins is None:
        bins = int(np.clip(len(np.histogram_bin_edges(x, "auto")) - 1, MIN_BINS, MAX_BINS))
    top, edges = np.histogram(x, bins=bins, density=True)
    return {"left": edges[:-1], "right": edges[1:], "top": top}


def autocorrelation(x: np.ndarray, max_lag: int = 100) -> dict[str, np.ndarray]:
    """Autocorrelation of each chain (biased autocovariance by FFT over its lag 0, as
    ArviZ's ``autocorr``), averaged over chains, for lags 0..min(max_lag, draws - 1)."""
    x = np.asarray(x, dtype=np.float64)
    chains, n = x.shape
    if n < 2:
        return {"lag": np.zeros(0), "acf": np.zeros(0)}
    lags = min(max_lag, n - 1) + 1
    centered = x - x.mean(axis=1, keepdims=True)
    size = 2 ** math.ceil(math.log2(2 * n))
    spectrum = np.fft.rfft(centered, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :lags]
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = acov / acov[:, :1]
    return {"lag": np.arange(lags, dtype=np.float64), "acf": acf.mean(axis=0)}


SUMMARY_COLUMNS = ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat")


def summary_stats(x: np.ndarray, hdi_prob: float = HDI_PROB) -> dict[str, float]:
    """One row of the summary table for a (chains, draws) array, ArviZ's columns and
    definitions (sd with ddof=1, the 94% HDI, rank-normalised bulk/tail ESS and R-hat);
    NaN where there are too few draws for a statistic to mean anything."""
    x = np.asarray(x, dtype=np.float64)
    nan = float("nan")
    if x.size == 0:
        return dict.fromkeys(SUMMARY_COLUMNS, nan)
    low, high = hdi(x, hdi_prob) if int(np.floor(hdi_prob * x.size)) < x.size else (nan, nan)
    return {
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if x.size > 1 else nan,
        "hdi_3%": low,
        "hdi_97%": high,
        "ess_bulk": ess_bulk(x),
        "ess_tail": ess_tail(x),
        "r_hat": rhat(x),
    }


def format_stat(column: str, value: float) -> str:
    """How the table shows a number: ESS as integers, R-hat with two decimals, the rest
    with three significant decimals; an en dash where it is not defined yet."""
    if not np.isfinite(value):
        return "\u2013"
    if column.startswith("ess"):
        return f"{value:.0f}"
    if column == "r_hat":
        return f"{value:.2f}"
    return f"{value:.3g}" if abs(value) >= 1000 or (value != 0 and abs(value) < 1e-3) else f"{value:.3f}"


def summary_table(labels: list[str], columns: list[np.ndarray]) -> dict[str, object]:
    """The summary table: ``labels`` and, per label, a (chains, draws) array.

    Returns the raw ``stats`` (label -> row), the ``rows`` as the table shows them (strings)
    and ``flagged``: whether each row's R-hat exceeds 1.01.
    """
    stats = [summary_stats(x) for x in columns]
    rows = [[label] + [format_stat(c, s[c]) for c in SUMMARY_COLUMNS] for label, s in zip(labels, stats)]
    flagged = [bool(np.isfinite(s["r_hat"]) and s["r_hat"] > RHAT_FLAG) for s in stats]
    return {"columns": ["", *SUMMARY_COLUMNS], "rows": rows, "flagged": flagged,
            "stats": dict(zip(labels, stats))}


def forest(stats: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """The forest plot from summary rows (top to bottom): ``y`` (row k at len - 1 - k so the
    first variable is on top), ``mean``, ``low``/``high`` (the 94% HDI) and ``flag``
    (1 where R-hat > 1.01)."""
    k = len(stats)
    get = lambda c: np.array([s[c] for s in stats], dtype=np.float64)  # noqa: E731
    r_hat = get("r_hat") if k else np.zeros(0)
    with np.errstate(invalid="ignore"):
        flag = (r_hat > RHAT_FLAG).astype(np.float64)
    return {
        "y": np.arange(k - 1, -1, -1, dtype=np.float64),
        "mean": get("mean") if k else np.zeros(0),
        "low": get("hdi_3%") if k else np.zeros(0),
        "high": get("hdi_97%") if k else np.zeros(0),
        "flag": flag,
    }


def pair_scatter(x: np.ndarray, y: np.ndarray, diverging: np.ndarray, max_points: int = 1000) -> dict[str, np.ndarray]:
    """One lower cell of the pair plot: draws of every chain pooled, thinned to at most
    ``max_points`` (evenly, every s-th draw of each chain), and the divergent draws, all of
    them up to ``max_points`` (thinned the same way beyond), as ``x``, ``y`` and ``dx``, ``dy``."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    diverging = np.asarray(diverging, dtype=bool)
    stride = max(1, -(-x.size // max_points))
    keep = np.zeros(x.shape, dtype=bool)
    keep[:, ::stride] = True
    dx, dy = x[diverging], y[diverging]
    d_stride = max(1, -(-dx.size // max_points))
    return {"x": x[keep], "y": y[keep], "dx": dx[::d_stride], "dy": dy[::d_stride]}


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of all draws pooled; NaN when either is constant or too short."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI of each chain (Betancourt 2016): mean squared energy transition over the
    energy's variance (ddof=1, as ArviZ); below 0.3 the momentum resampling explores the
    energy poorly."""
    energy = np.asarray(energy, dtype=np.float64)
    if energy.shape[1] < 2:
        return np.full(energy.shape[0], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1, ddof=1)


def energy(energy: np.ndarray, bins: int = 40) -> dict[str, dict[str, np.ndarray] | np.ndarray]:
    """The energy plot: histograms of the marginal energy (centred on its mean, all chains
    pooled) and of the energy transitions (differences of successive draws within each
    chain), on shared bins so their widths compare, and E-BFMI per chain."""
    energy = np.asarray(energy, dtype=np.float64)
    marginal = (energy - energy.mean()).ravel() if energy.size else np.zeros(0)
    transition = np.diff(energy, axis=1).ravel() if energy.shape[1] > 1 else np.zeros(0)
    both = np.concatenate([marginal, transition])
    both = both[np.isfinite(both)]
    if both.size == 0:
        empty = histogram(both)
        return {"marginal": empty, "transition": empty, "bfmi": bfmi(energy)}
    edges = np.histogram_bin_edges(both, bins=bins)
    return {"marginal": histogram(marginal, edges), "transition": histogram(transition, edges), "bfmi": bfmi(energy)}
