"""Rank-normalised split R-hat and bulk / tail ESS (Vehtari, Gelman, Simpson, Carpenter and
Buerkner 2021), on (chain, draw) arrays of one quantity or (chain, draw, ...) arrays of many.
Internally (V, chain, draw), as in ``exmc.diagnostics.ess``."""

from __future__ import annotations

from functools import lru_cache
from statistics import NormalDist

import numpy as np

from exmc.diagnostics.ess import columns, ess_of, shaped, split_chains, usable

_inv_cdf = NormalDist().inv_cdf  # Wichura's AS241, accurate to ~1e-16, in C


def _sorted_mean_ranks(ordered: np.ndarray) -> np.ndarray:
    """Mean ranks (1-based) of the sorted rows of ``ordered`` (V, S): ties share the midpoint
    of their block."""
    size = ordered.shape[-1]
    sorted_ranks = np.broadcast_to(np.arange(1.0, size + 1.0), ordered.shape)
    tied = ordered[:, 1:] == ordered[:, :-1]
    rows = tied.any(axis=1)
    if rows.any():  # only quantities with ties need the mean ranks of their tied blocks
        position = np.arange(size)
        starts = np.ones((rows.sum(), size), dtype=bool)
        starts[:, 1:] = ~tied[rows]
        ends = np.ones_like(starts)
        ends[:, :-1] = starts[:, 1:]
        first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
        last = np.minimum.accumulate(np.where(ends, position, size)[:, ::-1], axis=-1)[:, ::-1]
        sorted_ranks = sorted_ranks.copy()
        sorted_ranks[rows] = 0.5 * (first + last) + 1.0
    return sorted_ranks


def ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) along the last axis of ``x`` (V, S), ties sharing their mean rank."""
    order = np.argsort(x, axis=-1)
    out = np.empty(x.shape)
    np.put_along_axis(out, order, _sorted_mean_ranks(np.take_along_axis(x, order, axis=-1)), axis=-1)
    return out


@lru_cache(maxsize=8)
def _normal_scores(size: int) -> np.ndarray:
    """Phi^-1((r - 3/8) / (S + 1/4)) for every possible mean rank r = 1, 1.5, ..., S."""
    return np.array([_inv_cdf((r - 0.375) / (size + 0.25)) for r in np.arange(1.0, size + 0.5, 0.5)])


def z_scale(x: np.ndarray) -> np.ndarray:
    """Rank-normalise (V, chain, draw): each quantity's draws pooled (S of them) and replaced
    by Phi^-1((rank - 3/8) / (S + 1/4))."""
    n_cols, m, n = x.shape
    pooled = x.reshape(n_cols, m * n)
    order = np.argsort(pooled, axis=-1)
    sorted_ranks = _sorted_mean_ranks(np.take_along_axis(pooled, order, axis=-1))
    # mean ranks are multiples of 1/2 in [1, S]: each possible score is computed once
    scores = _normal_scores(m * n)[(2.0 * sorted_ranks - 2.0).astype(np.intp)]
    out = np.empty(pooled.shape)
    np.put_along_axis(out, order, scores, axis=-1)
    return out.reshape(x.shape)


def rhat_of(x: np.ndarray) -> np.ndarray:
    """Gelman-Rubin R-hat of each quantity of (V, chains, draws), chains as given."""
    n = x.shape[2]
    within = x.var(axis=2, ddof=1).mean(axis=1)
    between = n * x.mean(axis=2).var(axis=1, ddof=1)
    var_plus = (n - 1) / n * within + between / n
    return np.sqrt(var_plus / within)


def quantile_sorted(ordered: np.ndarray, q: float) -> np.ndarray:
    """numpy's default ("linear") quantile of each row of ``ordered`` (V, S), already sorted:
    the same arithmetic as ``np.quantile``, without partitioning the draws again."""
    size = ordered.shape[-1]
    virtual = (size - 1) * q
    below = int(np.floor(virtual))
    above = min(below + 1, size - 1)
    gamma = virtual - below
    a, b = ordered[:, below], ordered[:, above]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def folded(x: np.ndarray, ordered: np.ndarray | None = None) -> np.ndarray:
    """|x - median| of each quantity of (V, chain, draw), its draws pooled (``ordered``: the
    pooled draws sorted, when already at hand)."""
    if ordered is None:
        ordered = np.sort(x.reshape(x.shape[0], -1), axis=-1)
    return np.abs(x - quantile_sorted(ordered, 0.5)[:, None, None])


def _restrict(x: np.ndarray, compute) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    ok = usable(x)
    if ok.any():
        out[ok] = compute(x[ok])
    return out


def _rank_rhat(x: np.ndarray) -> np.ndarray:
    return np.maximum(rhat_of(z_scale(split_chains(x))), rhat_of(z_scale(split_chains(folded(x)))))


def _bulk_ess(x: np.ndarray) -> np.ndarray:
    return ess_of(z_scale(split_chains(x)))


def tail_indicators(x: np.ndarray, prob: float, ordered: np.ndarray | None = None):
    """Split-chain indicators x <= q(prob) and x <= q(1 - prob), quantiles of the pooled draws."""
    if ordered is None:
        ordered = np.sort(x.reshape(x.shape[0], -1), axis=-1)
    lower = quantile_sorted(ordered, prob)[:, None, None]
    upper = quantile_sorted(ordered, 1 - prob)[:, None, None]
    split = split_chains(x)
    return (split <= lower).astype(float), (split <= upper).astype(float)


def rhat(x: np.ndarray):
    """max(bulk R-hat, tail R-hat): split R-hat of the rank-normalised draws and of the
    rank-normalised distances from the median. (chain, draw, ...) -> float or array."""
    cols, shape = columns(x)
    return shaped(_restrict(cols, _rank_rhat), shape)


def ess_bulk(x: np.ndarray):
    """ESS of the rank-normalised split chains. (chain, draw, ...) -> float or array."""
    cols, shape = columns(x)
    return shaped(_restrict(cols, _bulk_ess), shape)


def ess_tail(x: np.ndarray, prob: float = 0.05):
    """min of the ESS of the indicators x <= q(prob) and x <= q(1 - prob), split chains."""
    cols, shape = columns(x)

    def tail(c):
        low, high = tail_indicators(c, prob)
        return np.minimum(ess_of(low), ess_of(high))

    return shaped(_restrict(cols, tail), shape)
