"""Effective sample size of (chain, draw) arrays (Vehtari et al. 2021; Stan's estimator).

``ess(x)`` splits each chain in two and combines the chains' autocorrelations with
Geyer's initial monotone sequence, as Stan does. Rank-normalised bulk and tail ESS
build on it.
"""

from __future__ import annotations

import numpy as np


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each row of ``x`` (chains, draws), by FFT."""
    n = x.shape[-1]
    centered = x - x.mean(axis=-1, keepdims=True)
    size = 2 ** int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centered, n=size, axis=-1)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=-1)[..., :n] / n


def split_chains(x: np.ndarray) -> np.ndarray:
    """(chains, draws) -> (2 * chains, draws // 2), dropping the middle draw if odd."""
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0)


def ess_unsplit(x: np.ndarray) -> float:
    """ESS of the mean of ``x`` (chains, draws), chains used as given."""
    x = np.asarray(x, dtype=np.float64)
    m, n = x.shape
    if n < 4 or not np.all(np.isfinite(x)):
        return float("nan")
    if np.ptp(x) == 0:
        return float("nan")
    acov = _autocovariance(x)
    chain_var = acov[:, 0] * n / (n - 1.0)
    mean_var = chain_var.mean()
    var_plus = mean_var * (n - 1.0) / n
    if m > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    acov_mean = acov.mean(axis=0)
    rho = np.zeros(n)
    rho[0] = 1.0
    rho_even, rho_odd = 1.0, 1.0 - (mean_var - acov_mean[1]) / var_plus
    rho[1] = rho_odd
    t = 1
    while t < n - 3 and rho_even + rho_odd > 0.0:
        rho_even = 1.0 - (mean_var - acov_mean[t + 1]) / var_plus
        rho_odd = 1.0 - (mean_var - acov_mean[t + 2]) / var_plus
        if rho_even + rho_odd >= 0.0:
            rho[t + 1], rho[t + 2] = rho_even, rho_odd
        t += 2
    # The last pair looked at is (t - 1, t); it counts only through the "improved estimate"
    # (its even term, when positive), as in Stan and ArviZ.
    max_t = t - 2
    if rho_even > 0.0:
        rho[max_t + 1] = rho_even
    # Geyer's initial monotone sequence
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = 0.5 * (rho[t - 1] + rho[t])
        t += 2
    tau = -1.0 + 2.0 * rho[: max_t + 1].sum() + rho[max_t + 1]
    tau = max(tau, 1.0 / np.log10(m * n))
    return float(m * n / tau)


def ess(x: np.ndarray) -> float:
    """Split-chain ESS of the mean of ``x`` (chains, draws)."""
    return ess_unsplit(split_chains(np.asarray(x, dtype=np.float64)))
