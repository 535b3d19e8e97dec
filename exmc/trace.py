"""The Trace: constrained draws and sampler statistics, (chain, draw, ...) everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from exmc.ir.nodes import Rewrite


@dataclass
class Trace:
    """The result of sampling.

    posterior : name -> (chains, draws, *shape), constrained values of rv and det nodes
        (auxiliary variables of rewrites included, see ``auxiliary``).
    sample_stats : stat -> (chains, draws): diverging, energy, step_size, tree_depth,
        n_steps, lp, accept_prob.
    warmup_posterior, warmup_sample_stats : the same for the warmup iterations.
    observed_data : obs node name -> data.
    rewrites : what the rewrite passes changed.
    auxiliary : auxiliary variable -> the user's node it stands in for.
    """

    posterior: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    warmup_posterior: dict[str, np.ndarray] = field(default_factory=dict)
    warmup_sample_stats: dict[str, np.ndarray] = field(default_factory=dict)
    observed_data: dict[str, np.ndarray] = field(default_factory=dict)
    rewrites: tuple[Rewrite, ...] = ()
    auxiliary: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)

    @property
    def n_chains(self) -> int:
        return next(iter(self.sample_stats.values())).shape[0] if self.sample_stats else 0

    @property
    def n_draws(self) -> int:
        return next(iter(self.sample_stats.values())).shape[1] if self.sample_stats else 0

    def __repr__(self) -> str:
        names = ", ".join(self.posterior)
        return f"Trace(chains={self.n_chains}, draws={self.n_draws}, variables=[{names}])"


def _concat(parts: list[Mapping[str, np.ndarray]], template: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    if not parts:
        return {} if template is None else {k: v[:, :0] for k, v in template.items()}
    return {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}


def trace_from_batches(batches: Iterable, model, attrs: Mapping[str, object] | None = None) -> Trace:
    """Assemble a Trace from ``sample_stream`` batches (any prefix of them is a valid trace)."""
    warm_d, warm_s, samp_d, samp_s = [], [], [], []
    for batch in batches:
        (warm_d if batch.phase == "warmup" else samp_d).append(batch.draws)
        (warm_s if batch.phase == "warmup" else samp_s).append(batch.stats)
    template_d = (warm_d or samp_d or [None])[0]
    template_s = (warm_s or samp_s or [None])[0]
    return Trace(
        posterior=_concat(samp_d, template_d),
        sample_stats=_concat(samp_s, template_s),
        warmup_posterior=_concat(warm_d, template_d),
        warmup_sample_stats=_concat(warm_s, template_s),
        observed_data={o.name: np.asarray(o.data) for o in model.source_ir.observations.values()},
        rewrites=model.rewrites,
        auxiliary=model.auxiliary,
        attrs=dict(attrs or {}),
    )
