"""``exmc.summary``: one row per scalar quantity, ArviZ's columns, as a pandas DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np

from exmc import errors as E
from exmc.diagnostics.ess import ess_of, split_chains, usable
from exmc.diagnostics.mcse import hdi_of, mcse_sd_of, squared_deviations
from exmc.diagnostics.rhat import folded, rhat_of, tail_indicators, z_scale

if TYPE_CHECKING:
    import pandas as pd

TAIL_PROB = 0.05


def labels(name: str, shape: tuple[int, ...], axes=None) -> list[str]:
    """Row labels as ArviZ writes them: ``mu``, ``theta[0]``, ``L[1, 2]``; with each axis's
    labels ``axes`` (named dimensions, ``exmc.dims.axis_labels``) ``ab[Adams, slope]``."""
    from exmc.dims import element_labels

    return element_labels(name, tuple(shape), axes)


BLOCK_VALUES = 2**20  # draws (8 MiB of float64) per block of quantities: decision 37


def quantity_blocks(n_quantities: int, per_quantity: int, block_values: int = BLOCK_VALUES):
    """Slices of the quantities, each holding about ``block_values`` draws (at least one quantity)."""
    size = max(1, block_values // max(per_quantity, 1))
    return [slice(start, min(start + size, n_quantities)) for start in range(0, n_quantities, size)]


def diagnostics_table(x: np.ndarray, hdi_prob: float = 0.94) -> dict[str, np.ndarray]:
    """Every summary column for the quantities of ``x`` (V, chain, draw).

    Every column is a function of one quantity's draws, so the quantities are taken in
    blocks of about ``BLOCK_VALUES`` draws: the work arrays (sorted draws, ranks, split and
    indicator series, spectra: some fifteen times their block) stay a constant size however
    large ``x`` is, and the results are exactly those of one pass over everything.
    """
    blocks = [_table(x[part], hdi_prob) for part in quantity_blocks(x.shape[0], x.shape[1] * x.shape[2])]
    if not blocks:
        return _table(x, hdi_prob)
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


def _table(x: np.ndarray, hdi_prob: float) -> dict[str, np.ndarray]:
    """``diagnostics_table`` of one block. The rank-normalised split chains and the ESS of the
    five series that need one (bulk, both tail indicators, the draws, their squared
    deviations) are computed once each, the ESS in one batch."""
    n_cols, m, n = x.shape
    alpha = 1.0 - hdi_prob
    pooled = x.reshape(n_cols, -1)
    lower = upper = np.full(n_cols, np.nan)
    ordered = np.sort(pooled, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # non-finite draws give NaN, as in ArviZ
        out = {"mean": pooled.mean(axis=1), "sd": np.full(n_cols, np.nan)}
        if m * n > 1:
            out["sd"] = pooled.std(axis=1, ddof=1)
            lower, upper = hdi_of(x, hdi_prob, ordered)
    out[f"hdi_{100 * alpha / 2:g}%"] = lower
    out[f"hdi_{100 * (1 - alpha / 2):g}%"] = upper
    for name in ("mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"):
        out[name] = np.full(n_cols, np.nan)
    ok = usable(x)
    if not ok.any():
        return out
    x, ordered = x[ok], ordered[ok]
    split = split_chains(x)
    z_bulk = z_scale(split)
    low, high = tail_indicators(x, TAIL_PROB, ordered)
    squares = squared_deviations(x)
    series = np.concatenate([z_bulk, low, high, split, split_chains(squares)], axis=0)
    ess_bulk, ess_low, ess_high, ess_mean, ess_squares = np.split(ess_of(series), 5)
    out["mcse_mean"][ok] = out["sd"][ok] / np.sqrt(ess_mean)
    out["mcse_sd"][ok] = mcse_sd_of(squares, ess_squares)
    out["ess_bulk"][ok] = ess_bulk
    out["ess_tail"][ok] = np.minimum(ess_low, ess_high)
    out["r_hat"][ok] = np.maximum(rhat_of(z_bulk), rhat_of(z_scale(split_chains(folded(x, ordered)))))
    return out


def summary(
    trace,
    var_names: Iterable[str] | None = None,
    hdi_prob: float = 0.94,
    *,
    group: str = "posterior",
) -> pd.DataFrame:
    """Posterior summary: mean, sd, HDI, MCSE, bulk and tail ESS and R-hat per quantity.

    Parameters
    ----------
    trace : an ``exmc.Trace`` (or a dict of name -> (chain, draw, ...) arrays).
    var_names : the variables to show; default every rv and det node of the model (the
        auxiliary variables of rewrites, e.g. ``theta_raw``, only when named).
    hdi_prob : the HDI's probability (columns ``hdi_3%`` / ``hdi_97%`` for 0.94).
    group : "posterior", or "prior" for a trace holding prior draws.

    Returns a DataFrame with one row per scalar (``theta[0]`` ... for vector variables;
    ``ab[Adams, slope]`` for a variable with named dimensions, ``exmc.dims``) and
    the columns of ``arviz.summary``: mean, sd, hdi_3%, hdi_97%, mcse_mean, mcse_sd, ess_bulk,
    ess_tail, r_hat; equal to ArviZ's numbers (with ``round_to="none"``) on the same draws.
    R-hat and ESS follow Vehtari et al. (2021); NaN where a quantity has under 4 draws a chain,
    non-finite draws or no variation.
    """
    import pandas as pd  # imported here: `import exmc` stays quick

    from exmc.dims import axis_labels

    draws, auxiliary = _group(trace, group)
    # the trace's named dimensions label the rows (decision 61), as ArviZ's labeller does
    dims, coords = getattr(trace, "dims", None), getattr(trace, "coords", None)
    if not (isinstance(hdi_prob, (int, float)) and 0.0 < hdi_prob < 1.0):
        raise E.SettingsError(None, f"hdi_prob must lie in (0, 1), got {hdi_prob!r}")
    if var_names is None:
        names = [k for k in draws if k not in auxiliary]
    else:
        names = [var_names] if isinstance(var_names, str) else list(var_names)
        for name in names:
            if name not in draws:
                raise E.UnknownReferenceError(name, f"summary: no variable '{name}' in the trace's {group}")
    blocks, rows = [], []
    for name in names:
        values = np.asarray(draws[name], dtype=np.float64)
        if values.ndim < 2:
            raise E.ShapeError(name, f"summary expects (chain, draw, ...) draws, got shape {values.shape}")
        if values.shape[0] * values.shape[1] == 0:
            raise E.ExmcError(name, f"summary: the trace's {group} has no draws of '{name}' (shape {values.shape})")
        blocks.append(np.moveaxis(values.reshape(values.shape[0], values.shape[1], -1), 2, 0))
        rows += labels(name, values.shape[2:], axis_labels(name, values.shape[2:], dims, coords))
    if not blocks:
        return pd.DataFrame(columns=list(diagnostics_table(np.zeros((0, 1, 4)), hdi_prob)))
    x = np.ascontiguousarray(np.concatenate(blocks, axis=0))
    return pd.DataFrame(diagnostics_table(x, hdi_prob), index=rows)


def _group(trace, group: str) -> tuple[Mapping[str, np.ndarray], Mapping[str, str]]:
    if isinstance(trace, Mapping):
        return trace, {}
    if group not in ("posterior", "prior"):
        raise E.SettingsError(None, f"group must be 'posterior' or 'prior', got {group!r}")
    draws = getattr(trace, group, None)
    if draws is None:
        raise E.ExmcError(None, f"summary expects an exmc.Trace or a dict of arrays, got {type(trace).__name__}")
    if not draws:
        raise E.ExmcError(None, f"the trace has no {group} draws to summarise")
    return draws, getattr(trace, "auxiliary", {})
