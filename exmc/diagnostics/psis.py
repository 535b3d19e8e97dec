"""Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry 2024).

``psis(log_ratios, reff)`` smooths the largest importance ratios of each row by the
quantiles of a generalized Pareto distribution fitted to them (Zhang and Stephens 2009, with
the weakly informative prior on the shape of Vehtari et al.), and reports the fitted shape k:
above 0.7 the importance-sampling estimate is unreliable. Rows are independent (one per
observation in LOO); rows whose tails have the same length are fitted together.
"""

from __future__ import annotations

import numpy as np

_TINY_LOG = float(np.log(np.finfo(float).tiny))
_EPS = float(np.finfo(float).eps)
# the prior on k: k_post = (n k + PRIOR_K * 0.5) / (n + PRIOR_K)
PRIOR_K = 10.0
PRIOR_BS = 3.0
# rows x candidate b values x tail draws held at once by the GPD fit
_FIT_BLOCK = 2_000_000


def tail_length(n_samples: int, reff: float) -> int:
    """M = ceil(min(S / 5, 3 sqrt(S / reff))): how many of the largest ratios are smoothed."""
    return int(np.ceil(min(n_samples / 5.0, 3.0 * np.sqrt(n_samples / reff))))


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return np.log(np.exp(x - top).sum(axis=-1)) + top[..., 0]


def gpd_fit(tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalized Pareto shape k and scale sigma of each row of ``tail`` (R, n), sorted
    ascending, positive: the empirical-Bayes posterior mean of Zhang and Stephens (2009) with
    the prior on k of Vehtari et al. (2024)."""
    rows, n = tail.shape
    m = 30 + int(np.sqrt(n))
    grid = 1.0 - np.sqrt(m / (np.arange(1, m + 1, dtype=float) - 0.5))
    quartile = tail[:, int(n / 4 + 0.5) - 1]
    b = grid[None, :] / (PRIOR_BS * quartile[:, None]) + 1.0 / tail[:, -1:]  # (R, m)
    k = np.empty_like(b)
    step = max(1, _FIT_BLOCK // (m * n))
    for start in range(0, rows, step):
        block = slice(start, start + step)
        k[block] = np.log1p(-b[block, :, None] * tail[block, None, :]).mean(axis=2)
    profile = n * (np.log(-(b / k)) - k - 1.0)
    with np.errstate(over="ignore"):  # exp overflows for candidates far below the best: weight 0
        weights = 1.0 / np.exp(profile[:, None, :] - profile[:, :, None]).sum(axis=2)
    weights = np.where(weights >= 10.0 * _EPS, weights, 0.0)  # negligible candidates dropped
    weights /= weights.sum(axis=1, keepdims=True)
    b_post = (b * weights).sum(axis=1)
    k_post = np.log1p(-b_post[:, None] * tail).mean(axis=1)
    sigma = -k_post / b_post
    return (n * k_post + PRIOR_K * 0.5) / (n + PRIOR_K), sigma


def gpd_quantiles(probs: np.ndarray, k: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Quantiles (R, n) of generalized Pareto distributions with shapes / scales (R,) at
    ``probs`` (n,) in (0, 1); NaN where sigma <= 0."""
    k, sigma = k[:, None], sigma[:, None]
    log1p = np.log1p(-probs)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        general = np.expm1(-k * log1p) / k
    q = np.where(np.abs(k) < _EPS, -log1p, general) * sigma
    return np.where(sigma > 0, q, np.nan)


def psis(log_ratios: np.ndarray, reff: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Pareto-smoothed, normalized log importance weights of each row of ``log_ratios`` (N, S).

    Returns (log_weights (N, S), k (N,)). A row whose tail has 4 draws or fewer cannot be
    fitted: k = inf and the row is only normalized; a failed fit (k not finite) leaves the
    ratios unsmoothed. Smoothed ratios are truncated at the largest raw ratio.
    """
    x = np.array(log_ratios, dtype=np.float64, ndmin=2)
    n_rows, n_samples = x.shape
    x -= x.max(axis=1, keepdims=True)
    order = np.argsort(x, axis=1)
    ordered = np.take_along_axis(x, order, axis=1)
    cutoff_index = n_samples - tail_length(n_samples, reff) - 1
    cutoff = np.maximum(ordered[:, cutoff_index], _TINY_LOG)
    # the tail: every ratio above the cutoff; ties with the cutoff stay in the body
    tail_lengths = (ordered > cutoff[:, None]).sum(axis=1)
    k = np.full(n_rows, np.inf)
    for length in np.unique(tail_lengths[tail_lengths > 4]):
        rows = np.flatnonzero(tail_lengths == length)
        shift = np.exp(cutoff[rows])[:, None]
        tail = np.exp(ordered[rows, n_samples - length:]) - shift
        k_rows, sigma = gpd_fit(tail)
        k[rows] = k_rows
        fitted = np.isfinite(k_rows)
        if not fitted.any():
            continue
        rows, shift = rows[fitted], shift[fitted]
        probs = np.arange(0.5, length) / length
        smoothed = np.log(gpd_quantiles(probs, k_rows[fitted], sigma[fitted]) + shift)
        positions = order[rows, n_samples - length:]
        values = np.minimum(smoothed, 0.0)  # no smoothed ratio above the largest raw one
        x[rows[:, None], positions] = np.where(np.isnan(smoothed), smoothed, values)
    x -= _logsumexp(x)[:, None]
    return x, k
