"""Rank-normalised split R-hat and bulk / tail ESS (Vehtari, Gelman, Simpson, Carpenter and
Buerkner 2021), on (chain, draw) arrays of one scalar quantity."""

from __future__ import annotations

import jax
import numpy as np
from jax.scipy.special import ndtri

from exmc.diagnostics.ess import ess_unsplit, split_chains


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) of all draws pooled, ties sharing their mean rank."""
    values, inverse, counts = np.unique(x.ravel(), return_inverse=True, return_counts=True)
    # the tied block of a value spans ranks (end - count + 1) .. end; its mean rank:
    mean_rank = np.cumsum(counts) - 0.5 * (counts - 1)
    return mean_rank[inverse].reshape(x.shape)


def z_scale(x: np.ndarray) -> np.ndarray:
    """Rank-normalise: Phi^-1((rank - 3/8) / (S + 1/4)) over all draws pooled."""
    u = (_ranks(x) - 0.375) / (x.size + 0.25)
    with jax.enable_x64(True):
        return np.asarray(ndtri(u))


def _rhat_unsplit(x: np.ndarray) -> float:
    """Gelman-Rubin R-hat of the chains as given (the callers split them first)."""
    n = x.shape[1]
    within = x.var(axis=1, ddof=1).mean()
    between = n * x.mean(axis=1).var(ddof=1)
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def _usable(x: np.ndarray) -> bool:
    return x.shape[1] >= 4 and np.all(np.isfinite(x)) and np.ptp(x) > 0


def rhat(x: np.ndarray) -> float:
    """max(bulk R-hat, tail R-hat): split R-hat of the rank-normalised draws and of the
    rank-normalised distances from the median."""
    x = np.asarray(x, dtype=np.float64)
    if not _usable(x):
        return float("nan")
    bulk = _rhat_unsplit(z_scale(split_chains(x)))
    tail = _rhat_unsplit(z_scale(split_chains(np.abs(x - np.median(x)))))
    return max(bulk, tail)


def ess_bulk(x: np.ndarray) -> float:
    """ESS of the rank-normalised split chains."""
    x = np.asarray(x, dtype=np.float64)
    if not _usable(x):
        return float("nan")
    return ess_unsplit(z_scale(split_chains(x)))


def ess_tail(x: np.ndarray, prob: float = 0.05) -> float:
    """min of the ESS of the indicators x <= q(prob) and x <= q(1 - prob), split chains."""
    x = np.asarray(x, dtype=np.float64)
    if not _usable(x):
        return float("nan")
    split = split_chains(x)
    lower, upper = np.quantile(x, prob), np.quantile(x, 1 - prob)
    return min(ess_unsplit((split <= lower).astype(float)), ess_unsplit((split <= upper).astype(float)))
