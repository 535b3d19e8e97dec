"""The checks a Stan or PyMC user expects after sampling, as ``exmc.SamplingWarning`` s.

``check_trace(trace)`` returns the problems found; ``warn_about(trace)`` issues one warning
per problem (``exmc.sample`` calls it on every trace it returns). Each message says what
was seen, which variables it concerns, why it matters and what to try.

- divergences after warmup (count and share); the variables whose divergent draws sit far
  from the bulk of their draws are named (as a pairs plot would show them);
- draws whose tree hit ``max_treedepth``;
- E-BFMI below 0.3 in some chain, naming the variables most correlated with the energy;
- R-hat above 1.01 (needs two chains) and bulk or tail ESS below 100 per chain.

Checks need a run long enough to mean something: at least ``MIN_RUN`` warmup iterations
and ``MIN_RUN`` draws a chain (PyMC checks convergence only from 100 draws, too). Shorter
runs are previews (smoke tests, a first look); they are not checked, because an unadapted
step size diverges for lack of warmup, not because of the model, and R-hat and ESS from a
few dozen draws are noise. ``check_trace(trace, min_run=0)`` checks any trace on demand.

Bounded memory and time (decision 37): the quantities are read from the trace in blocks of
about ``BLOCK_VALUES`` draws, never all at once, so the checks need a constant amount of
memory beyond the trace. Runs longer than ``CHECK_DRAWS`` draws a chain are judged on every
k-th draw (k = ceil(draws / CHECK_DRAWS)): R-hat still measures how much the chains
disagree, and the ESS verdict (below 100 per chain) is the same, since thinning keeps
min(ESS, draws / k) effective draws and draws / k is far above the threshold; the numbers the
messages quote are then those of the thinned draws, and say so. The divergent draws are all
placed, each by its rank among the (thinned) draws; the energy correlation uses the thinned
draws. ``exmc.sample(..., checks=False)`` skips the checks altogether.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from exmc.diagnostics.autocorr import bfmi
from exmc.diagnostics.summary import BLOCK_VALUES, diagnostics_table, labels
from exmc.dims import axis_labels
from exmc.errors import SamplingWarning

CHECK_DRAWS = 20_000  # draws a chain judged at most; longer runs are thinned to about this

MIN_RUN = 100
RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100
BFMI_LIMIT = 0.3
NAMED = 5  # variables named in a message at most


@dataclass(frozen=True)
class Problem:
    """One finding: its kind ("divergences", "tree_depth", "bfmi", "rhat", "ess"), the
    message, and the scalar quantities (``theta[0]``) it concerns."""

    kind: str
    message: str
    variables: tuple[str, ...] = ()


@dataclass
class _Scan:
    """What the checks need of every scalar quantity, gathered block by block: its label, its
    summary columns, the mean percentile of its divergent draws and its correlation with the
    energy."""

    names: list
    table: dict | None
    divergent_percentile: np.ndarray
    energy_corr: np.ndarray
    stride: int


def _columns(trace, variables):
    """(name, values reshaped (chain, draw, -1), first label index) of each judged variable."""
    for name, values in trace.posterior.items():
        if name in trace.auxiliary or (variables is not None and name not in variables):
            continue
        values = np.asarray(values)
        yield name, values.reshape(values.shape[0], values.shape[1], -1), values.shape[2:]


def _scan(trace, variables, stride: int, with_table: bool) -> _Scan:
    stats = trace.sample_stats
    diverging = np.asarray(stats["diverging"], dtype=bool) if "diverging" in stats else None
    any_divergent = diverging is not None and diverging.any()
    energy = None
    if "energy" in stats and trace.n_draws >= 2:
        energy = np.asarray(stats["energy"], dtype=np.float64)[:, ::stride].ravel()
        energy = energy - energy.mean()
    names, tables, percentiles, corrs = [], [], [], []
    for name, values, shape in _columns(trace, variables):
        names += labels(name, shape, axis_labels(name, shape, getattr(trace, "dims", None), getattr(trace, "coords", None)))
        m, n_kept = values.shape[0], len(range(0, values.shape[1], stride))
        for part in _element_blocks(values.shape[2], m * n_kept):
            # (V_b, chain, thinned draw), float64: the only copy of the draws the checks make
            x = np.ascontiguousarray(np.moveaxis(values[:, ::stride, part], 2, 0), dtype=np.float64)
            if with_table:
                tables.append(diagnostics_table(x))
            flat = x.reshape(x.shape[0], -1)
            if any_divergent:
                percentiles.append(_divergent_percentiles(flat, values[:, :, part][diverging]))
            if energy is not None:
                centered = flat - flat.mean(axis=1, keepdims=True)
                with np.errstate(invalid="ignore", divide="ignore"):
                    corrs.append(np.abs(centered @ energy) / (np.linalg.norm(centered, axis=1) * np.linalg.norm(energy)))
    join = lambda parts: np.concatenate(parts) if parts else np.zeros(len(names))  # noqa: E731
    table = {k: np.concatenate([t[k] for t in tables]) for k in tables[0]} if tables else None
    return _Scan(names, table, join(percentiles), join(corrs), stride)


def _element_blocks(n_elements: int, per_element: int) -> list[slice]:
    size = max(1, BLOCK_VALUES // max(per_element, 1))
    return [slice(start, min(start + size, n_elements)) for start in range(0, n_elements, size)]


def _divergent_percentiles(flat: np.ndarray, divergent: np.ndarray) -> np.ndarray:
    """Mean percentile of the divergent draws (divergent: (count, V_b)) among each row of
    ``flat`` (V_b, S): (rank + 1/2) / S, ties sharing their mean rank."""
    ordered = np.sort(flat, axis=1)
    out = np.empty(flat.shape[0])
    for i in range(flat.shape[0]):
        values = np.asarray(divergent[:, i], dtype=np.float64)
        below = np.searchsorted(ordered[i], values, side="left")
        upto = np.searchsorted(ordered[i], values, side="right")
        out[i] = ((below + upto) / 2.0).mean() / max(flat.shape[1], 1)
    return out


def _listing(names, values=None, fmt="{:.3f}") -> str:
    shown = [f"{n} ({fmt.format(v)})" if values is not None else n for n, v in
             zip(names[:NAMED], values[:NAMED] if values is not None else names[:NAMED])]
    more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    return ", ".join(shown) + more


def _reparameterise(trace) -> str:
    """What to try about the geometry, from what the non-centering pass decided."""
    priors = "give its scales more informative priors"
    if trace.attrs.get("noncenter") is False:
        return (f'reparameterise the model (exmc.sample(..., noncenter="auto") lets Exmc non-center '
                f"hierarchical Normals) or {priors}")
    kept = [r.node for r in trace.rewrites
            if r.pass_name == "noncenter" and (not r.aux or np.any(r.params.get("centered", False)))]
    if kept:
        return (f"non-center what the rewrite kept centered, {_listing(kept)} (exmc.sample(..., noncenter=True) "
                f"non-centers every element) or {priors}")
    return f"reparameterise the model or {priors}"


def _divergences(trace, scan: _Scan) -> Problem | None:
    diverging = np.asarray(trace.sample_stats["diverging"], dtype=bool)
    count = int(diverging.sum())
    if count == 0:
        return None
    total = diverging.size
    chains = ", ".join(str(c) for c in np.flatnonzero(diverging.any(axis=1)))
    # where the divergent draws sit in each quantity's distribution: the mean of their
    # percentiles is 0.5 +- sqrt(1 / (12 count)) when they are spread like the other draws
    names, mean = scan.names, scan.divergent_percentile
    offset = np.abs(mean - 0.5)
    notable = np.flatnonzero(offset > 3.0 * np.sqrt(1.0 / (12.0 * count)))
    notable = notable[np.argsort(-offset[notable])]
    strongest: dict[str, int] = {}  # one element per variable, its most displaced one
    for i in notable:
        strongest.setdefault(names[i].split("[")[0], int(i))
    notable = np.array(list(strongest.values()), dtype=int)
    where = ""
    if notable.size:
        sides = [f"{'low' if mean[i] < 0.5 else 'high'} {names[i]}" for i in notable]
        where = f" The divergent draws concentrate at {_listing(sides)}."
    message = (
        f"{count} of {total} draws ({100.0 * count / total:.2f} %) diverged after warmup (chains {chains}).{where} "
        "A divergence means NUTS could not follow the posterior's curvature there, so that region is "
        "under-explored and estimates may be biased. Try exmc.sample(..., target_accept=0.95) (smaller steps) "
        f"or {_reparameterise(trace)}."
    )
    return Problem("divergences", message, tuple(names[i] for i in notable))


def _tree_depth(trace, table, names) -> Problem | None:
    max_depth = trace.attrs.get("max_treedepth", 10)
    depth = np.asarray(trace.sample_stats["tree_depth"])
    hits = int((depth >= max_depth).sum())
    if hits == 0:
        return None
    slow = []
    if table is not None:
        order = np.argsort(table["ess_bulk"])
        slow = [names[i] for i in order if np.isfinite(table["ess_bulk"][i])][:NAMED]
    which = f" Slowest-mixing quantities (lowest bulk ESS): {', '.join(slow)}." if slow else ""
    message = (
        f"{hits} of {depth.size} draws ({100.0 * hits / depth.size:.2f} %) hit max_treedepth={max_depth}: "
        "their trajectories were cut short before a U-turn, so the chains explore slowly (an efficiency "
        f"problem, not a bias).{which} Try exmc.sample(..., max_treedepth={max_depth + 2}), or "
        f"{_reparameterise(trace)}."
    )
    return Problem("tree_depth", message, tuple(slow))


def _bfmi(trace, scan: _Scan) -> Problem | None:
    energy = np.asarray(trace.sample_stats["energy"], dtype=np.float64)
    values = bfmi(energy)
    low = np.flatnonzero(values < BFMI_LIMIT)
    if low.size == 0:
        return None
    # Betancourt (2016): the quantities that move with the energy are the ones it struggles with
    names, corr = scan.names, scan.energy_corr
    order = [i for i in np.argsort(-np.nan_to_num(corr, nan=-1.0)) if np.isfinite(corr[i])][:NAMED]
    which = ""
    if order:
        which = " Most correlated with the energy: " + _listing([names[i] for i in order], corr[order], "|r| {:.2f}") + "."
    chains = ", ".join(f"{c} ({values[c]:.3f})" for c in low)
    message = (
        f"E-BFMI below {BFMI_LIMIT} in chains {chains}: the momentum resampling explores the energy levels "
        f"poorly, typical of heavy tails or a funnel, and the chains may miss the tails.{which} To fix: "
        f"{_reparameterise(trace)}; a longer warmup (tune) can help too."
    )
    return Problem("bfmi", message, tuple(names[i] for i in order))


def _rhat(trace, table, names, stride: int = 1) -> Problem | None:
    r_hat = table["r_hat"]
    high = np.flatnonzero(r_hat > RHAT_LIMIT)
    if high.size == 0:
        return None
    high = high[np.argsort(-r_hat[high])]
    message = (
        f"R-hat above {RHAT_LIMIT} for {high.size} of {len(names)} quantities{_thinned(stride)}: "
        f"{_listing([names[i] for i in high], r_hat[high])}. The chains disagree, so they have not "
        "converged to one distribution. Run longer (more tune and draws); if it persists, look for "
        f"several modes or {_reparameterise(trace)}."
    )
    return Problem("rhat", message, tuple(names[i] for i in high))


def _ess(trace, table, names, stride: int = 1) -> Problem | None:
    need = ESS_PER_CHAIN * trace.n_chains
    ess = np.minimum(table["ess_bulk"], table["ess_tail"])
    low = np.flatnonzero(ess < need)
    if low.size == 0:
        return None
    low = low[np.argsort(ess[low])]
    message = (
        f"Effective sample size below {need} ({ESS_PER_CHAIN} per chain) for {low.size} of {len(names)} "
        f"quantities (min of bulk and tail ESS{_thinned(stride)}): {_listing([names[i] for i in low], ess[low], '{:.0f}')}. "
        "Too few effective draws for reliable R-hat, means and intervals. Draw more (exmc.sample(..., "
        f"draws={2 * max(trace.n_draws, 1)})) or {_reparameterise(trace)}."
    )
    return Problem("ess", message, tuple(names[i] for i in low))


def check_trace(trace, *, min_run: int = MIN_RUN, variables=None) -> list[Problem]:
    """The problems of a sampled trace (see the module docstring), most serious first.
    Runs with fewer than ``min_run`` warmup iterations or draws a chain are not checked.
    ``variables``: the posterior's names to judge (all but auxiliary ones by default);
    ``exmc.sample`` judges the model's random variables, not its det nodes, which are
    functions of them and may be large (a linear predictor per observation)."""
    stats = trace.sample_stats
    if not stats or trace.n_draws == 0 or trace.n_draws < min_run or trace.attrs.get("tune", min_run) < min_run:
        return []
    stride = -(-trace.n_draws // CHECK_DRAWS)
    kept = len(range(0, trace.n_draws, stride))
    scan = _scan(trace, variables, stride, with_table=kept >= 4)
    table = scan.table if scan.names else None
    found = []
    if "diverging" in stats:
        found.append(_divergences(trace, scan))
    if "tree_depth" in stats:
        found.append(_tree_depth(trace, table, scan.names))
    if "energy" in stats and trace.n_draws >= 2:
        found.append(_bfmi(trace, scan))
    if table is not None:
        if trace.n_chains >= 2:
            found.append(_rhat(trace, table, scan.names, stride))
        found.append(_ess(trace, table, scan.names, stride))
    return [p for p in found if p is not None]


def _thinned(stride: int) -> str:
    return "" if stride == 1 else f" (computed from every {stride}th draw: decision 37)"


def warn_about(trace, stacklevel: int = 2, variables=None) -> list[Problem]:
    """Issue one ``exmc.SamplingWarning`` per problem of ``trace``; returns the problems."""
    problems = check_trace(trace, variables=variables)
    for problem in problems:
        warnings.warn(problem.message, SamplingWarning, stacklevel=stacklevel + 1)
    return problems
