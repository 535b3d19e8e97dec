"""The Trace: constrained draws and sampler statistics, (chain, draw, ...) everywhere.

Its groups follow ArviZ's InferenceData (``trace.to_arviz()`` maps them one to one):
posterior, sample_stats, warmup_posterior, warmup_sample_stats, observed_data, and, once
computed, log_likelihood, prior, prior_predictive, posterior_predictive. ``save`` /
``exmc.load_trace`` (netCDF, ``exmc.trace_io``) round-trip every group exactly;
``exmc.concat`` joins two traces by chain or by draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from exmc import errors as E
from exmc.ir.nodes import Rewrite

# (chain, draw, ...) groups, in InferenceData's order; observed_data has no chain/draw axes
DRAW_GROUPS = (
    "posterior",
    "sample_stats",
    "warmup_posterior",
    "warmup_sample_stats",
    "log_likelihood",
    "prior",
    "prior_predictive",
    "posterior_predictive",
)
GROUPS = DRAW_GROUPS + ("observed_data",)


@dataclass
class Trace:
    """The result of sampling.

    posterior : name -> (chains, draws, *shape), constrained values of rv and det nodes
        (auxiliary variables of rewrites included, see ``auxiliary``).
    sample_stats : stat -> (chains, draws): diverging, energy, step_size, tree_depth,
        n_steps, lp, accept_prob.
    warmup_posterior, warmup_sample_stats : the same for the warmup iterations.
    observed_data : obs node name -> data.
    log_likelihood : obs node name -> (chains, draws, *data shape), log p(y_i | draw), once
        computed (``exmc.compute_log_likelihood``, ``exmc.loo``, ``exmc.waic``).
    prior, prior_predictive : (1, draws, ...) draws of ``exmc.sample_prior_predictive``.
    posterior_predictive : obs node name -> (chains, draws, *data shape), once computed.
    rewrites : what the rewrite passes changed.
    auxiliary : auxiliary variable -> the user's node it stands in for.
    attrs : the sampler's settings and other plain facts (JSON-serialisable values).
    dims : variable -> the names of its axes past (chain, draw), for the variables of any
        group that have named dimensions (``exmc.dims``; observations by the Obs node's name).
    coords : every dimension in ``dims`` -> its labels (0..n-1 where the model gave none).
    """

    posterior: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    warmup_posterior: dict[str, np.ndarray] = field(default_factory=dict)
    warmup_sample_stats: dict[str, np.ndarray] = field(default_factory=dict)
    observed_data: dict[str, np.ndarray] = field(default_factory=dict)
    rewrites: tuple[Rewrite, ...] = ()
    auxiliary: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)
    log_likelihood: dict[str, np.ndarray] = field(default_factory=dict)
    prior: dict[str, np.ndarray] = field(default_factory=dict)
    prior_predictive: dict[str, np.ndarray] = field(default_factory=dict)
    posterior_predictive: dict[str, np.ndarray] = field(default_factory=dict)
    dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    coords: dict[str, tuple] = field(default_factory=dict)

    def _shape(self) -> tuple[int, int]:
        for group in ("sample_stats", "posterior", "prior"):
            values = getattr(self, group)
            if values:
                return next(iter(values.values())).shape[:2]
        return (0, 0)

    @property
    def n_chains(self) -> int:
        return self._shape()[0]

    @property
    def n_draws(self) -> int:
        return self._shape()[1]

    def groups(self) -> list[str]:
        """The groups that hold something, in InferenceData's order."""
        return [g for g in GROUPS if getattr(self, g)]

    def to_arviz(self, *, auxiliary: bool = False):
        """ArviZ's ``InferenceData`` with the standard group names (see ``exmc.trace_io``)."""
        from exmc.trace_io import to_arviz

        return to_arviz(self, auxiliary=auxiliary)

    def save(self, path) -> None:
        """Write every group and the rewrite report to a netCDF file (``exmc.load_trace``)."""
        from exmc.trace_io import save

        save(self, path)

    def __repr__(self) -> str:
        names = ", ".join(self.posterior or self.prior)
        extra = [g for g in ("log_likelihood", "prior", "posterior_predictive") if getattr(self, g)]
        more = f", groups=[{', '.join(extra)}]" if extra else ""
        return f"Trace(chains={self.n_chains}, draws={self.n_draws}, variables=[{names}]{more})"


def trace_from_batches(batches: Iterable, model, attrs: Mapping[str, object] | None = None) -> Trace:
    """Assemble a Trace from ``sample_stream`` batches (any prefix of them is a valid trace)."""
    from exmc.collect import Collector

    collector = Collector()
    for batch in batches:
        collector.add(batch)
    return trace_from_arrays(collector.arrays(), model, attrs)


def trace_from_arrays(arrays: Mapping[str, Mapping[str, np.ndarray]], model, attrs=None) -> Trace:
    """A Trace of ``model`` from its four (chain, draw) groups (``exmc.collect``), with the
    observed data, the rewrite report, the model's fingerprint and its det nodes' names
    (``attrs["deterministic"]``: the dashboard shows random variables by default), and the
    potentials' names (``attrs["potentials"]``, when the model has any)."""
    from exmc.dims import trace_labels
    from exmc.fingerprint import fingerprint
    from exmc.ir.nodes import RV

    source = model.source_ir.by_name
    dims, coords = trace_labels(model.source_ir, model.analysis.shapes)
    dets = [n for n in model.value_names if n not in model.auxiliary and not isinstance(source.get(n), RV)]
    # potentials have no values to keep; their names say the lp includes them (decision 60)
    potentials = list(model.analysis.potentials)
    if potentials:
        attrs = {"potentials": potentials, **(attrs or {})}
    return Trace(
        **arrays,
        observed_data={o.name: np.asarray(o.data) for o in model.source_ir.observations.values()},
        rewrites=model.rewrites,
        auxiliary=model.auxiliary,
        attrs={"deterministic": dets, **(attrs or {}), "model_fingerprint": fingerprint(model.source_ir)},
        dims=dims,
        coords=coords,
    )


def concat(a: Trace, b: Trace, dim: str = "chain") -> Trace:
    """Join two traces of the same model: ``dim="chain"`` puts b's chains after a's (equal
    draw counts), ``dim="draw"`` appends b's draws to a's (equal chain counts; e.g. a run
    continued with ``resume``). Every (chain, draw) group present in either trace must be in
    both; the models' fingerprints (``attrs["model_fingerprint"]``, when both traces have
    one: ``exmc.fingerprint``), observed data, named dimensions (dims and coords), rewrites and
    auxiliary variables must agree. Attributes that differ
    (e.g. the seed) become the list [a's, b's]."""
    if not isinstance(a, Trace) or not isinstance(b, Trace):
        raise E.ExmcError(None, f"concat expects two exmc.Trace, got {type(a).__name__} and {type(b).__name__}")
    if dim not in ("chain", "draw"):
        raise E.SettingsError(None, f"dim must be 'chain' or 'draw', got {dim!r}")
    axis = 0 if dim == "chain" else 1
    mine, theirs = a.attrs.get("model_fingerprint"), b.attrs.get("model_fingerprint")
    if mine is not None and theirs is not None and mine != theirs:
        raise E.ExmcError(
            None, "concat: the traces come from different models (their model fingerprints differ: the "
            "structure, a distribution or a constant such as a prior's scale is not the same)"
        )
    if set(a.observed_data) != set(b.observed_data) or not all(
        np.array_equal(a.observed_data[k], b.observed_data[k]) for k in a.observed_data
    ):
        raise E.ExmcError(None, "concat: the traces observe different data: they come from different models")
    if a.dims != b.dims or a.coords != b.coords:  # decision 61: one label an element, or none
        raise E.ExmcError(
            None, "concat: the traces name their dimensions differently (trace.dims / trace.coords differ); "
            "relabel one so that both agree"
        )
    if tuple(a.rewrites) != tuple(b.rewrites) or a.auxiliary != b.auxiliary:
        raise E.ExmcError(None, "concat: the traces' models were rewritten differently (see trace.rewrites)")
    for group in DRAW_GROUPS:
        x, y = getattr(a, group), getattr(b, group)
        if bool(x) != bool(y):
            held = "the first" if x else "the second"
            raise E.ExmcError(None, f"concat: only {held} trace has a {group} group; compute it for both")
        if set(x) != set(y):
            raise E.ExmcError(None, f"concat: the {group} groups hold different variables: {sorted(x)} and {sorted(y)}")
    joined = {
        group: {k: _join(k, group, v, getattr(b, group)[k], axis) for k, v in getattr(a, group).items()}
        for group in DRAW_GROUPS
    }
    attrs = {k: v if b.attrs.get(k, v) == v else [v, b.attrs[k]] for k, v in a.attrs.items()}
    attrs.update({k: v for k, v in b.attrs.items() if k not in a.attrs})
    return Trace(
        **joined,
        observed_data={k: np.array(v) for k, v in a.observed_data.items()},
        rewrites=tuple(a.rewrites),
        auxiliary=dict(a.auxiliary),
        attrs=attrs,
        dims=dict(a.dims),
        coords=dict(a.coords),
    )


def _join(name: str, group: str, x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    other = 1 - axis
    if x.shape[other] != y.shape[other] or x.shape[2:] != y.shape[2:] or x.dtype != y.dtype:
        along = "draws" if axis == 0 else "chains"
        raise E.ShapeError(
            name, f"concat: {group} arrays of shape {x.shape} ({x.dtype}) and {y.shape} ({y.dtype}) "
            f"do not join: the {along} and the variable's shape must match"
        )
    return np.concatenate([x, y], axis=axis)
