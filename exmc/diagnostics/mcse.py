"""Monte Carlo standard errors and the highest-density interval, on (chain, draw) arrays."""

from __future__ import annotations

import numpy as np

from exmc.diagnostics.ess import ess


def mcse_mean(x: np.ndarray) -> float:
    """Standard error of the posterior mean estimate: sd / sqrt(ESS)."""
    x = np.asarray(x, dtype=np.float64)
    return float(x.std(ddof=1) / np.sqrt(ess(x)))


def mcse_sd(x: np.ndarray) -> float:
    """Standard error of the posterior sd estimate, by the delta method on the variance
    (Vehtari et al. 2021, appendix; as ArviZ)."""
    x = np.asarray(x, dtype=np.float64)
    squares = (x - x.mean()) ** 2
    variance = squares.mean()
    var_of_variance = ((squares**2).mean() - variance**2) / ess(squares)
    return float(np.sqrt(var_of_variance / variance / 4.0))


def hdi(x: np.ndarray, prob: float = 0.94) -> tuple[float, float]:
    """The narrowest interval holding ``prob`` of the draws (all chains pooled)."""
    draws = np.sort(np.asarray(x, dtype=np.float64).ravel())
    inside = int(np.floor(prob * draws.size))
    if inside >= draws.size:
        raise ValueError(f"too few draws ({draws.size}) for a {prob:.0%} interval")
    widths = draws[inside:] - draws[: draws.size - inside]
    start = int(np.argmin(widths))
    return float(draws[start]), float(draws[start + inside])
