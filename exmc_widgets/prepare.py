"""All the dashboard's numerics: plain arrays in, plain arrays out (the seed's ``Prepare``).

The front end only arranges glyphs from what these functions return: histograms, the
autocorrelation, summary statistics, the pair plot's thinned scatter and correlations, the
energy plot's histograms, and which draws a trace shows. Every function is pure and works on
(chain, draw) arrays of one scalar quantity unless it says otherwise.
"""

from __future__ import annotations

import numpy as np

from exmc.diagnostics import autocorr, bfmi
from exmc.diagnostics.summary import diagnostics_table

HDI_PROB = 0.94
MIN_BINS, MAX_BINS = 10, 60
RHAT_FLAG = 1.01  # R-hat above this is flagged (Vehtari et al. 2021)
ESS_PER_CHAIN = 100  # bulk or tail ESS below 100 per chain is flagged (Vehtari et al. 2021, ArviZ's 400 for 4)
RANK_BINS = 20


def element_labels(name: str, shape: tuple[int, ...], axes=None) -> list[str]:
    """Labels of a variable's scalar elements in C order, as ArviZ writes them:
    ``mu``; ``theta[0]``, ``theta[1]``; ``x[0, 1]``; with named dimensions (``axes``: each
    axis's labels, ``exmc.dims.axis_labels``) ``ab[Adams, slope]``."""
    from exmc.dims import element_labels as labels

    return labels(name, tuple(shape), axes)


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


def histogram(x: np.ndarray, bins: int | np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Density histogram of all draws pooled: ``left``, ``right`` (bin edges) and ``top``.

    ``bins``: a count or the edges. Without it, numpy's "auto" rule (the larger of Sturges' and Freedman-Diaconis'
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
    """Autocorrelation of each chain (``exmc.diagnostics.autocorr``: FFT, as ArviZ's),
    averaged over chains, for lags 0..min(max_lag, draws - 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1] < 2:
        return {"lag": np.zeros(0), "acf": np.zeros(0)}
    acf = autocorr(x, max_lag=min(max_lag, x.shape[1] - 1)).mean(axis=0)
    return {"lag": np.arange(len(acf), dtype=np.float64), "acf": acf}


SUMMARY_COLUMNS = ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat")


def summary_stats(x: np.ndarray, hdi_prob: float = HDI_PROB) -> dict[str, np.ndarray]:
    """The summary table's columns for K quantities at once, x (chains, draws, K): ArviZ's
    columns and definitions (sd with ddof=1, the 94% HDI, rank-normalised bulk/tail ESS and
    R-hat), each a (K,) array; NaN where there are too few draws for a statistic to mean
    anything. Computed by ``exmc.summary``'s own table, which sorts and rank-normalises the
    draws once for every column (the separate functions would do it five times)."""
    x = np.asarray(x, dtype=np.float64)
    chains, n, k = x.shape
    nan = np.full(k, np.nan)
    if n == 0 or k == 0:
        return {c: nan.copy() for c in SUMMARY_COLUMNS}
    table = diagnostics_table(np.moveaxis(x, 2, 0), hdi_prob)
    alpha = 1.0 - hdi_prob
    return {
        "mean": table["mean"],
        "sd": table["sd"],
        "hdi_3%": table[f"hdi_{100 * alpha / 2:g}%"],
        "hdi_97%": table[f"hdi_{100 * (1 - alpha / 2):g}%"],
        "ess_bulk": table["ess_bulk"],
        "ess_tail": table["ess_tail"],
        "r_hat": table["r_hat"],
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


def low_ess(ess: np.ndarray, chains: int) -> np.ndarray:
    """Where an ESS (bulk or tail) is below ``ESS_PER_CHAIN`` per chain: too few effective
    draws for the mean or the tail quantiles to be trusted (Vehtari et al. 2021, section 4);
    undefined ESS (too few draws) is not flagged, the table shows a dash there."""
    with np.errstate(invalid="ignore"):
        return np.asarray(ess, dtype=np.float64) < ESS_PER_CHAIN * chains


def summary_table(labels: list[str], x: np.ndarray) -> dict[str, object]:
    """The summary table: ``labels`` of the K quantities of x (chains, draws, K).

    Returns the raw ``stats`` (label -> column -> float), the ``rows`` as the table shows
    them (strings), ``flagged``: whether each row's R-hat exceeds 1.01, and ``low_ess``:
    per row, [bulk, tail] ESS below 100 per chain (``low_ess``).
    """
    columns = summary_stats(x)
    stats = {label: {c: float(columns[c][i]) for c in SUMMARY_COLUMNS} for i, label in enumerate(labels)}
    rows = [[label] + [format_stat(c, stats[label][c]) for c in SUMMARY_COLUMNS] for label in labels]
    with np.errstate(invalid="ignore"):
        flagged = [bool(r > RHAT_FLAG) for r in columns["r_hat"]]
    chains = x.shape[0]
    low = np.stack([low_ess(columns["ess_bulk"], chains), low_ess(columns["ess_tail"], chains)], axis=1)
    return {"columns": ["", *SUMMARY_COLUMNS], "rows": rows, "flagged": flagged,
            "low_ess": [[bool(b), bool(t)] for b, t in low], "stats": stats}


def rank_histogram(x: np.ndarray, bins: int = RANK_BINS) -> dict[str, np.ndarray]:
    """The rank plot (Vehtari et al. 2021, section 5): the draws of every chain ranked
    together, and each chain's ranks binned in ``bins`` equal bins. Well-mixed chains give
    flat histograms near the expected count ``draws / bins``; a chain stuck high or low
    piles its ranks at one end. Returns ``x`` (bin centres on the rank scale 0..1), the
    bins' ``left``/``right`` edges and one column ``c{k}`` of counts per chain k, divided
    by the expected count (so 1 is flat whatever the number of draws)."""
    x = np.asarray(x, dtype=np.float64)
    chains, n = x.shape
    edges = np.linspace(0.0, 1.0, bins + 1)
    out: dict[str, np.ndarray] = {"x": 0.5 * (edges[:-1] + edges[1:]), "left": edges[:-1], "right": edges[1:]}
    if n == 0:
        return {**out, **{f"c{k}": np.zeros(bins) for k in range(chains)}}
    order = np.argsort(x, axis=None, kind="stable")
    rank = np.empty(x.size)
    rank[order] = np.arange(x.size)
    scaled = (rank / x.size).reshape(chains, n)  # in [0, 1)
    which = np.minimum((scaled * bins).astype(int), bins - 1)
    expected = n / bins
    for k in range(chains):
        out[f"c{k}"] = np.bincount(which[k], minlength=bins) / expected
    return out


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
