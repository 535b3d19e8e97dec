"""Monte Carlo standard errors and the highest-density interval, on (chain, draw) arrays of
one quantity (floats) or (chain, draw, ...) arrays of many (arrays of the trailing shape).
Internally (V, chain, draw), as in ``exmc.diagnostics.ess``."""

from __future__ import annotations

import numpy as np

from exmc.diagnostics.ess import columns, shaped, split_ess


def squared_deviations(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=(1, 2), keepdims=True)) ** 2


def mcse_sd_of(squares: np.ndarray, ess_of_squares: np.ndarray) -> np.ndarray:
    """Delta method on the variance (Vehtari et al. 2021, appendix), from the squared deviations."""
    variance = squares.mean(axis=(1, 2))
    var_of_variance = ((squares**2).mean(axis=(1, 2)) - variance**2) / ess_of_squares
    return np.sqrt(var_of_variance / variance / 4.0)


def hdi_of(x: np.ndarray, prob: float, ordered: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Narrowest intervals of each quantity of (V, chain, draw), draws pooled (``ordered``:
    the pooled draws sorted, when already at hand)."""
    draws = np.sort(x.reshape(x.shape[0], -1), axis=-1) if ordered is None else ordered
    size = draws.shape[-1]
    inside = int(np.floor(prob * size))
    if inside >= size:
        raise ValueError(f"too few draws ({size}) for a {prob:.0%} interval")
    widths = draws[:, inside:] - draws[:, : size - inside]
    start = np.argmin(widths, axis=-1)
    rows = np.arange(draws.shape[0])
    return draws[rows, start], draws[rows, start + inside]


def mcse_mean(x: np.ndarray):
    """Standard error of the posterior mean estimate: sd / sqrt(ESS)."""
    cols, shape = columns(x)
    sd = cols.reshape(cols.shape[0], -1).std(axis=1, ddof=1)
    return shaped(sd / np.sqrt(split_ess(cols)), shape)


def mcse_sd(x: np.ndarray):
    """Standard error of the posterior sd estimate, by the delta method on the variance
    (Vehtari et al. 2021, appendix; as ArviZ)."""
    cols, shape = columns(x)
    squares = squared_deviations(cols)
    return shaped(mcse_sd_of(squares, split_ess(squares)), shape)


def hdi(x: np.ndarray, prob: float = 0.94):
    """The narrowest interval holding ``prob`` of the draws (all chains pooled).

    (chain, draw) -> (lower, upper) floats; (chain, draw, *shape) -> (lower, upper) arrays.
    """
    cols, shape = columns(x)
    lower, upper = hdi_of(cols, prob)
    return shaped(lower, shape), shaped(upper, shape)
