"""Model comparison by expected log pointwise predictive density (Vehtari, Gelman and Gabry
2017): PSIS-LOO, WAIC, and a ranked comparison of several models with stacking weights.

All three read the trace's ``log_likelihood`` group (obs name -> (chain, draw, *data shape)),
computing it first from the model when the trace does not hold it yet. Numbers equal
ArviZ's ``loo`` / ``waic`` / ``compare`` on the same arrays.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np

from exmc import errors as E
from exmc.diagnostics.ess import columns, split_ess
from exmc.diagnostics.psis import psis
from exmc.trace import Trace

if TYPE_CHECKING:
    import pandas as pd

SCALES = {"log": 1.0, "negative_log": -1.0, "deviance": -2.0}
WAIC_VARIANCE_LIMIT = 0.4
MIN_LOO_DRAWS = 11  # the first S with 1 - 1 / log10(S) > 0: a Pareto k threshold that means something


@dataclass(frozen=True)
class ELPD:
    """An ELPD estimate.

    kind : "loo" or "waic".
    elpd : the estimate on ``scale`` (log: higher is better).
    se : its standard error, sqrt(n var(pointwise)).
    p : effective number of parameters (p_loo, p_waic).
    pointwise : (n_data_points,) contributions (loo_i, waic_i), data flattened in C order.
    pareto_k : (n_data_points,) PSIS shape estimates (LOO only).
    good_k : the threshold above which a k warns, min(1 - 1 / log10(S), 0.7) (LOO only).
    warning : True if some k (LOO) or pointwise variance (WAIC) is over its limit.
    """

    kind: str
    elpd: float
    se: float
    p: float
    n_samples: int
    n_data_points: int
    warning: bool
    pointwise: np.ndarray
    scale: str
    var_name: str
    pareto_k: np.ndarray | None = None
    good_k: float | None = None

    def __repr__(self) -> str:
        lines = [
            f"{'PSIS-LOO' if self.kind == 'loo' else 'WAIC'} of '{self.var_name}' "
            f"({self.n_samples} draws, {self.n_data_points} data points, {self.scale} scale)",
            f"  elpd_{self.kind} {self.elpd:12.2f}   se {self.se:8.2f}",
            f"  p_{self.kind}    {self.p:12.2f}",
        ]
        if self.pareto_k is not None:
            bad = int((self.pareto_k > self.good_k).sum())
            lines.append(f"  Pareto k > {self.good_k:.2f}: {bad} of {self.n_data_points}")
        return "\n".join(lines)


def compute_log_likelihood(trace: Trace, model) -> Trace:
    """Compute ``trace.log_likelihood`` (obs name -> (chain, draw, *data shape)) with one
    compiled, batched function of the model (``exmc.compile.pointwise``); returns the trace."""
    from exmc.compile.pointwise import log_likelihood

    if not isinstance(trace, Trace):
        raise E.ExmcError(None, f"expected an exmc.Trace, got {type(trace).__name__}")
    trace.log_likelihood = log_likelihood(model, trace.posterior)
    return trace


def _log_likelihood(trace: Trace, model, var_name: str | None) -> tuple[np.ndarray, str]:
    """(n_data_points, S) pointwise log-likelihood, draws stacked chain-major as ArviZ does."""
    if not isinstance(trace, Trace):
        raise E.ExmcError(None, f"expected an exmc.Trace, got {type(trace).__name__}")
    if not trace.log_likelihood:
        if model is None:
            raise E.ExmcError(
                None, "the trace holds no log_likelihood group: pass the model, e.g. exmc.loo(trace, ir)"
            )
        compute_log_likelihood(trace, model)
    names = list(trace.log_likelihood)
    if var_name is None:
        if len(names) > 1:
            raise E.ExmcError(
                None, f"the model observes several nodes ({', '.join(names)}): choose one with var_name="
            )
        var_name = names[0]
    if var_name not in trace.log_likelihood:
        raise E.UnknownReferenceError(var_name, f"no observed node of this name; the trace has {', '.join(names)}")
    ll = np.asarray(trace.log_likelihood[var_name], dtype=np.float64)
    chains, draws = ll.shape[:2]
    if chains * draws == 0:
        raise E.ExmcError(var_name, "the trace has no draws to compute an ELPD from")
    return ll.reshape(chains * draws, -1).T, var_name


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1, keepdims=True)
    return np.log(np.exp(x - top).sum(axis=1)) + top[:, 0]


def _scale(scale: str) -> float:
    if scale not in SCALES:
        raise E.SettingsError(None, f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    return SCALES[scale]


def relative_efficiency(trace: Trace) -> float:
    """Mean over every scalar posterior quantity (auxiliary variables left out) of ESS / S, as
    ArviZ's ``loo`` computes it: the "mean" (split-chain) ESS, S for a constant quantity; 1
    for a single chain."""
    values = [v for k, v in trace.posterior.items() if k not in trace.auxiliary]
    if trace.n_chains <= 1 or not values:
        return 1.0
    cols = np.concatenate([columns(v)[0] for v in values], axis=0)
    size = cols.shape[1] * cols.shape[2]
    ess = split_ess(cols)
    flat = cols.reshape(cols.shape[0], -1)
    with np.errstate(invalid="ignore"):
        constant = np.isfinite(flat).all(axis=1) & (flat.max(axis=1) - flat.min(axis=1) < np.finfo(float).resolution)
    ess[constant] = size
    return float(ess.mean() / size)


def loo(trace: Trace, model=None, *, var_name: str | None = None, reff: float | None = None,
        scale: str = "log") -> ELPD:
    """PSIS-LOO: leave-one-out predictive density by Pareto-smoothed importance sampling.

    Parameters
    ----------
    trace : a Trace; its ``log_likelihood`` group is computed from ``model`` if missing.
    model : the IR (or CompiledModel) the trace was sampled from.
    var_name : which observed node, when the model has several.
    reff : relative efficiency ESS / S of the draws; by default from the posterior
        (``relative_efficiency``).
    scale : "log" (default), "negative_log" or "deviance".

    Warns ``exmc.ModelComparisonWarning`` naming the observations whose Pareto k exceeds
    min(1 - 1 / log10(S), 0.7): their leave-one-out estimate is unreliable.
    """
    scale_value = _scale(scale)
    ll, var_name = _log_likelihood(trace, model, var_name)
    n_data, n_samples = ll.shape
    if n_samples < MIN_LOO_DRAWS:
        raise E.ExmcError(
            var_name, f"PSIS-LOO needs at least {MIN_LOO_DRAWS} draws in all (at fewer its Pareto k threshold, "
            f"1 - 1 / log10(draws), is not positive and no tail can be fitted); the trace has {n_samples}"
        )
    reff = relative_efficiency(trace) if reff is None else float(reff)
    log_weights, k = psis(-ll, reff)
    log_weights += ll
    loo_i = scale_value * _logsumexp(log_weights)
    elpd = float(loo_i.sum())
    lppd = float((_logsumexp(ll) - np.log(n_samples)).sum())
    good_k = min(1.0 - 1.0 / np.log10(n_samples), 0.7)
    bad = np.flatnonzero(k > good_k)
    if bad.size:
        where = _points(var_name, bad, trace.log_likelihood[var_name].shape[2:])
        warnings.warn(
            f"PSIS-LOO of '{var_name}': Pareto k above {good_k:.2f} for {bad.size} of {n_data} data points "
            f"({where}; largest k {np.max(k[bad]):.2f}): their leave-one-out estimates are unreliable, the "
            "posterior changes too much without them. Try a more robust likelihood (e.g. StudentT for "
            "Normal), check those observations, or refit leaving them out (exact LOO).",
            E.ModelComparisonWarning, stacklevel=2,
        )
    return ELPD("loo", elpd, float(np.sqrt(n_data * np.var(loo_i))), lppd - elpd / scale_value, n_samples,
                n_data, bool(bad.size), loo_i, scale, var_name, pareto_k=k, good_k=good_k)


def waic(trace: Trace, model=None, *, var_name: str | None = None, scale: str = "log") -> ELPD:
    """WAIC (Watanabe 2010): lppd minus the posterior variance of each point's log-likelihood.

    Warns ``exmc.ModelComparisonWarning`` when some variance exceeds 0.4, where WAIC starts
    to fail (Vehtari et al. 2017); PSIS-LOO is then the better estimate.
    """
    scale_value = _scale(scale)
    ll, var_name = _log_likelihood(trace, model, var_name)
    n_data, n_samples = ll.shape
    lppd_i = _logsumexp(ll) - np.log(n_samples)
    variance = ll.var(axis=1)
    waic_i = scale_value * (lppd_i - variance)
    high = np.flatnonzero(variance > WAIC_VARIANCE_LIMIT)
    if high.size:
        where = _points(var_name, high, trace.log_likelihood[var_name].shape[2:])
        warnings.warn(
            f"WAIC of '{var_name}': the posterior variance of the log-likelihood exceeds "
            f"{WAIC_VARIANCE_LIMIT} for {high.size} of {n_data} data points ({where}): WAIC may be "
            "unreliable there; prefer exmc.loo.",
            E.ModelComparisonWarning, stacklevel=2,
        )
    return ELPD("waic", float(waic_i.sum()), float(np.sqrt(n_data * np.var(waic_i))), float(variance.sum()),
                n_samples, n_data, bool(high.size), waic_i, scale, var_name)


def _label(name: str, flat_index: int, shape: tuple[int, ...]) -> str:
    if shape == ():
        return name
    return f"{name}[{', '.join(map(str, np.unravel_index(flat_index, shape)))}]"


def _points(name: str, flat_indices: np.ndarray, shape: tuple[int, ...], shown: int = 10) -> str:
    """The first ``shown`` data points named as ``y_obs[3]``, for a warning."""
    more = " ..." if flat_indices.size > shown else ""
    return ", ".join(_label(name, i, shape) for i in flat_indices[:shown]) + more


def stacking_weights(pointwise: np.ndarray, scale_value: float = 1.0, tol: float = 1e-12) -> np.ndarray:
    """Stacking weights (Yao, Vehtari, Simpson and Gelman 2018): the w on the simplex that
    maximise sum_i log sum_k w_k exp(elpd_ik), by the EM fixed point w_k <- w_k mean_i
    (p_ik / p_i . w), which climbs this concave objective monotonically; stopped when the
    KKT conditions hold to ``tol``. ``pointwise``: (n_data_points, n_models)."""
    x = pointwise / scale_value
    p = np.exp(x - x.max(axis=1, keepdims=True))  # each row rescaled: the maximiser is unchanged
    n_models = p.shape[1]
    w = np.full(n_models, 1.0 / n_models)
    for _ in range(200_000):
        gradient = (p / (p @ w)[:, None]).mean(axis=0)  # = 1 on the support at the optimum
        if np.max(np.abs(w * (gradient - 1.0))) < tol and np.max(gradient) < 1.0 + 1e-9:
            break
        w = w * gradient
        w /= w.sum()
    return w


def compare(models: Mapping[str, object], ic: str = "loo", *, var_name: str | None = None,
            scale: str = "log") -> pd.DataFrame:
    """Rank models by their ELPD (LOO or WAIC), best first, as ``arviz.compare``.

    Parameters
    ----------
    models : name -> (trace, model), or name -> Trace already holding its log_likelihood.
    ic : "loo" or "waic".

    Returns a DataFrame indexed by model name with columns rank, elpd_{ic}, p_{ic}, elpd_diff
    (to the best model), weight (stacking), se, dse (standard error of the difference,
    sqrt(n var(elpd_i best - elpd_i model))), warning, scale. All models must be fitted to the
    same data points.
    """
    import pandas as pd  # imported here: `import exmc` stays quick

    if ic not in ("loo", "waic"):
        raise E.SettingsError(None, f"ic must be 'loo' or 'waic', got {ic!r}")
    if not isinstance(models, Mapping) or len(models) < 2:
        raise E.ExmcError(None, "compare needs a dict of at least two models: name -> (trace, model)")
    scale_value = _scale(scale)
    estimate = loo if ic == "loo" else waic
    results: dict[str, ELPD] = {}
    for name, entry in models.items():
        trace, model = entry if isinstance(entry, tuple) else (entry, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", E.ModelComparisonWarning)
            results[name] = estimate(trace, model, var_name=var_name, scale=scale)
        for w in caught:  # said again at the caller's line, with the model's name
            message = f"model '{name}': {w.message}" if issubclass(w.category, E.ModelComparisonWarning) else w.message
            warnings.warn(message, w.category, stacklevel=2)
    sizes = {r.n_data_points for r in results.values()}
    if len(sizes) > 1:
        raise E.ExmcError(None, f"compare: the models were fitted to different numbers of data points {sorted(sizes)}")
    ranked = sorted(results, key=lambda name: results[name].elpd, reverse=scale_value > 0)
    pointwise = np.stack([results[name].pointwise for name in ranked], axis=1)
    weights = stacking_weights(pointwise, scale_value)
    best = pointwise[:, 0]
    rows = []
    for i, name in enumerate(ranked):
        r = results[name]
        diff = (r.pointwise - best) if scale_value < 0 else (best - r.pointwise)
        rows.append({
            "rank": i, f"elpd_{ic}": r.elpd, f"p_{ic}": r.p, "elpd_diff": float(diff.sum()),
            "weight": float(weights[i]), "se": r.se, "dse": float(np.sqrt(len(diff) * np.var(diff))),
            "warning": r.warning, "scale": scale,
        })
    return pd.DataFrame(rows, index=ranked)
