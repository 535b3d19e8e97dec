"""Autocorrelation per chain and E-BFMI per chain, on (chain, draw, ...) arrays."""

from __future__ import annotations

import numpy as np

from exmc.diagnostics.ess import autocovariance


def autocorr(x: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation of each chain at every lag, by FFT.

    Parameters
    ----------
    x : (chain, draw, ...) draws.
    max_lag : keep lags 0..max_lag (all draws by default).

    Returns (chain, lags, ...): lag 0 is 1; a chain that does not vary gives NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"expected an array of shape (chain, draw, ...), got shape {x.shape}")
    acov = autocovariance(x, axis=1)
    if max_lag is not None:
        acov = acov[:, : max_lag + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return acov / acov[:, :1]


def bfmi(energy: np.ndarray) -> np.ndarray:
    """Energy Bayesian fraction of missing information, one value per chain (Betancourt 2016).

    E-BFMI = mean((E_t - E_{t-1})^2) / var(E), from the Hamiltonian energy of each draw
    (``trace.sample_stats["energy"]``, (chain, draw)). Below about 0.3 the momentum
    resampling moves the chain through energy levels too slowly: heavy tails or a funnel.
    """
    energy = np.asarray(energy, dtype=np.float64)
    if energy.ndim != 2:
        raise ValueError(f"expected energy of shape (chain, draw), got shape {energy.shape}")
    if energy.shape[1] < 2:
        return np.full(energy.shape[0], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.square(np.diff(energy, axis=1)).mean(axis=1) / energy.var(axis=1, ddof=1)
