"""Prior and posterior predictive draws, vectorised over draws with one compiled ``vmap``.

Both walk the user's model in topological order with each distribution's ``sample``:

- prior predictive: every rv is drawn from its prior given its parents' drawn values, the
  observed rvs included (that is the prior predictive of the data);
- posterior predictive: the free rvs take each posterior draw's values and every observed rv
  is drawn anew given them (det nodes recomputed, so a node downstream of an observed rv sees
  the new draw, as in the model's generative story).

Randomness: ``key(seed)``; draw d of chain c uses ``fold_in(fold_in(key, c), d)`` and node i of
the model ``fold_in(draw_key, i)``, so results do not depend on how the draws are chunked.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from exmc import errors as E
from exmc.compile.evaluate import data_values, resolve_params
from exmc.compile.model import CompiledModel
from exmc.compile.pointwise import free_values, map_draws, source
from exmc.dims import trace_labels
from exmc.fingerprint import fingerprint
from exmc.ir.analysis import Analysis
from exmc.ir.ir import IR
from exmc.ir.nodes import Det
from exmc.trace import GROUPS, Trace


def _check_seed(seed) -> int:
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise E.SettingsError(None, f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def _draw_indices(chains: int, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """(chains, draws) chain and draw numbers: each draw's key is made inside the compiled
    function, so no per-shape JAX op runs outside it."""
    return np.broadcast_to(np.arange(chains)[:, None], (chains, draws)), np.broadcast_to(np.arange(draws), (chains, draws))


def _make_sampler(ir: IR, analysis: Analysis, redraw_free: bool, seed: int) -> Callable:
    """``f(values, chain, draw) -> {name: value}`` for one draw: free rvs drawn (prior) or taken
    from ``values`` (posterior); observed rvs always drawn, reported under the Obs node's name."""
    observed = ir.observations
    index = {node.name: i for i, node in enumerate(ir.nodes)}
    steps = [ir[name] for name in analysis.order]

    def one_draw(values, chain, draw):
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), chain), draw)
        values = {**data_values(ir, analysis, None), **values}
        out = {}
        for node in steps:
            if isinstance(node, Det):
                values[node.name] = node.fn(*(values[d] for d in node.deps))
                out[node.name] = values[node.name]
                continue
            is_observed = node.name in observed
            if not is_observed and not redraw_free:
                continue
            params = resolve_params(node, values)
            shape = analysis.shapes[node.name]
            value = node.dist.sample(jax.random.fold_in(key, index[node.name]), params, shape)
            value = jnp.broadcast_to(jnp.asarray(value, dtype=jnp.float64), shape)
            values[node.name] = value
            out[observed[node.name].name if is_observed else node.name] = value
        return out

    return one_draw


def sample_prior_predictive(ir: IR | CompiledModel, draws: int = 500, seed: int = 0) -> Trace:
    """Draws from the prior and the prior predictive distribution of the data.

    Returns a ``Trace`` whose ``prior`` holds every rv and det node, ``prior_predictive`` every
    observed node (by the Obs node's name), each (1, draws, ...), and ``observed_data`` the
    data. The same seed gives the same draws.
    """
    model, analysis = source(ir)
    if not isinstance(draws, numbers.Integral) or isinstance(draws, bool) or draws < 1:
        raise E.SettingsError(None, f"draws must be an integer >= 1, got {draws!r}")
    seed = _check_seed(seed)
    if analysis.potentials:  # they are no generative step: the prior drawn here ignores them
        warnings.warn(
            f"sample_prior_predictive: the potentials {', '.join(analysis.potentials)} are terms of the "
            "log-density, not generative steps; the prior draws leave them out (decision 60)", UserWarning,
            stacklevel=2,
        )
    out_size = sum(int(np.prod(s)) for s in analysis.shapes.values())
    sampler = _make_sampler(model, analysis, redraw_free=True, seed=seed)
    result = map_draws(sampler, {}, (1, int(draws)), out_size, *_draw_indices(1, int(draws)))
    obs_names = {o.name for o in model.observations.values()}
    return Trace(
        posterior={},
        sample_stats={},
        observed_data={o.name: np.asarray(o.data) for o in model.observations.values()},
        prior={k: v for k, v in result.items() if k not in obs_names},
        prior_predictive={k: v for k, v in result.items() if k in obs_names},
        attrs={"prior_draws": int(draws), "prior_seed": seed, "model_fingerprint": fingerprint(model)},
        **dict(zip(("dims", "coords"), trace_labels(model, analysis.shapes))),
    )


def sample_posterior_predictive(ir: IR | CompiledModel, trace: Trace, seed: int = 0) -> Trace:
    """New data drawn from the model ``ir`` at each posterior draw of ``trace``.

    ``ir`` may be the fitted model or the same model with new inputs (``ir.set_data(...)``,
    an observation's length may change with them): its free variables take each draw's
    values and every observed rv is drawn anew given them (decision 58).

    Returns a new ``Trace``; ``trace`` is not modified. Its ``posterior_predictive`` holds
    obs name -> (chain, draw, *data shape). Its other groups are ``trace``'s when ``ir`` is
    the fitted model (same fingerprint); for new inputs its posterior's det nodes are
    recomputed at them, its ``observed_data`` are ``ir``'s, and the groups that belong to
    the fitted data (log_likelihood, prior, prior_predictive) are left out;
    ``attrs["fitted_model_fingerprint"]`` keeps the fitted model's fingerprint.
    The same seed gives the same draws; potentials are not drawn (they are no generative step).
    """
    if not isinstance(trace, Trace):
        raise E.ExmcError(None, f"expected an exmc.Trace, got {type(trace).__name__}")
    model, analysis = source(ir)
    if not model.observations:
        raise E.ObservationError(None, "the model observes nothing: there is no data to predict")
    seed = _check_seed(seed)
    values, chains_draws = free_values(model, analysis, trace.posterior)
    if chains_draws is None:
        raise E.ExmcError(None, "the model has no free variables: there are no posterior draws to predict from")
    obs_names = {o.name: o for o in model.observations.values()}
    if chains_draws[0] * chains_draws[1] == 0:
        result = {name: np.zeros(chains_draws + o.data.shape) for name, o in obs_names.items()}
    else:
        out_size = sum(int(np.prod(s)) for s in analysis.shapes.values())
        sampler = _make_sampler(model, analysis, redraw_free=False, seed=seed)
        result = map_draws(sampler, values, chains_draws, out_size, *_draw_indices(*chains_draws))
    return _predictive_trace(trace, model, result, obs_names, seed, trace_labels(model, analysis.shapes))


def _predictive_trace(trace: Trace, model: IR, result, obs_names, seed: int, labels) -> Trace:
    """The Trace ``sample_posterior_predictive`` returns: ``trace`` 's groups (copied dicts,
    shared arrays) with the predictive draws; for another model (new inputs), that model's
    det values and data instead of the fitted ones. ``labels``: the predicting model's
    (dims, coords), which name the new rows."""
    mine = fingerprint(model)
    fitted = trace.attrs.get("model_fingerprint")
    groups = {g: dict(getattr(trace, g)) for g in GROUPS}
    groups["posterior_predictive"] = {k: v for k, v in result.items() if k in obs_names}
    attrs = {**trace.attrs, "posterior_predictive_seed": seed}
    if fitted != mine:
        groups["posterior"].update({k: v for k, v in result.items() if k not in obs_names})
        groups["observed_data"] = {name: np.asarray(o.data) for name, o in obs_names.items()}
        for stale in ("log_likelihood", "prior", "prior_predictive"):
            groups[stale] = {}
        attrs.update(model_fingerprint=mine, fitted_model_fingerprint=fitted)
    dims, coords = labels
    return Trace(**groups, rewrites=tuple(trace.rewrites), auxiliary=dict(trace.auxiliary), attrs=attrs,
                 dims=dims, coords=coords)
