"""How much the data say about each element of a variable, against what its prior says.

For ``x ~ Normal(mu, sigma)`` the centered form samples well when the likelihood pins each
element down more tightly than the prior does, and the non-centered form when it does not
(Betancourt & Girolami 2013; Papaspiliopoulos, Roberts & Skold 2007). The measure here is
the ratio of the likelihood's curvature in x_j to the prior's:

    r_j = -d^2 log p(data | ...) / dx_j^2  *  sigma_j^2

evaluated at draws of every free variable from the prior (the data held at their observed
values), and summarised by its median over those draws. For a Normal likelihood with n_j
observations of scale s, r_j = n_j sigma^2 / s^2: the data's precision over the prior's.
For ``x ~ MvNormal(mu, chol)`` sigma_j^2 is x_j's prior variance, (chol chol^T)_jj.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc._x64 import x64
from exmc.compile.evaluate import data_values, model_data, resolve_params
from exmc.ir.analysis import Analysis
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Det

PRIOR_DRAWS = 32
EXACT_DIAGONAL_UP_TO = 256  # elements; beyond, Hutchinson's estimator of the diagonal
PROBES = 16


def _forward(ir: IR, analysis: Analysis, key, overrides: Mapping[str, object] | None = None, data=None):
    """Values of every node: free rvs drawn from their priors (or taken from ``overrides``),
    observed rvs at their data, det nodes computed. ``data``: the model's data by node name
    (``model_data``), passed as arguments so that the compiled function serves any values."""
    observed = ir.observations
    overrides = overrides or {}
    data = data or {}
    values: dict[str, object] = data_values(ir, analysis, data)
    for i, name in enumerate(analysis.order):
        node = ir[name]
        if isinstance(node, Det):
            values[name] = node.fn(*(values[d] for d in node.deps))
        elif name in observed:
            values[name] = jnp.asarray(data.get(observed[name].name, observed[name].data))
        elif name in overrides:
            values[name] = overrides[name]
        else:
            params = resolve_params(node, values)
            values[name] = node.dist.sample(jax.random.fold_in(key, i), params, analysis.shapes[name])
    return values


def _log_likelihood(ir: IR, analysis: Analysis, values: Mapping[str, object]):
    observed = ir.observations
    total = jnp.zeros(())
    for name in analysis.order:
        if name in observed:
            node: RV = ir[name]
            total = total + jnp.sum(node.dist.logp(values[name], **resolve_params(node, values)))
    return total


def information_ratios(ir: IR, analysis: Analysis, names: tuple[str, ...], seed: int = 0) -> dict[str, np.ndarray]:
    """name -> median over prior draws of r_j (shape of the node), for Normal rvs ``names``."""
    if not names:
        return {}

    def ratios(key, data):
        prior = _forward(ir, analysis, key, data=data)
        free = {k: v for k, v in prior.items() if isinstance(ir[k], RV) and k not in ir.observations}
        out = {}
        for name in names:
            shape = analysis.shapes[name]
            node: RV = ir[name]

            def loglik(x, name=name):
                # every other free rv held at its draw; det nodes and the data's densities follow x
                values = _forward(ir, analysis, key, overrides={**free, name: x}, data=data)
                return _log_likelihood(ir, analysis, values)

            x0 = prior[name]
            size = int(np.prod(shape, dtype=int))

            def hvp(v, loglik=loglik, x0=x0):
                return jax.jvp(jax.grad(loglik), (x0,), (v,))[1]

            if size <= EXACT_DIAGONAL_UP_TO:
                basis = jnp.eye(size, dtype=x0.dtype).reshape((size, *shape))
                diagonal = jnp.sum(jax.vmap(hvp)(basis) * basis, axis=0)
            else:
                signs = jax.random.rademacher(jax.random.fold_in(key, 10**6), (PROBES, *shape), dtype=x0.dtype)
                diagonal = jnp.mean(jax.vmap(hvp)(signs) * signs, axis=0)
            out[name] = -diagonal * prior_variance(node, resolve_params(node, prior), shape)
        return out

    def all_draws(key, data):
        return jax.vmap(lambda i: ratios(jax.random.fold_in(key, i), data))(jnp.arange(PRIOR_DRAWS))

    data = model_data(ir)
    with x64(True):
        key = jax.random.key(seed)
        # The data are arguments: the same model after set_data (same shapes) reuses the
        # compiled function (decision 57), kept as long as the model's structure token lives.
        shapes = tuple((k, np.shape(v), str(np.asarray(v).dtype)) for k, v in data.items())
        cache = ir.structure.caches.setdefault("information_ratios", {})
        compiled = cache.get((names, seed, shapes))
        if compiled is None:
            # Run once: XLA's cheapest optimisation level compiles it faster than it loses running.
            compiled = jax.jit(all_draws).lower(key, data).compile({"xla_backend_optimization_level": 0})
            cache[names, seed, shapes] = compiled
        draws = compiled(key, data)
    return {name: _median(np.asarray(r)) for name, r in draws.items()}



def prior_variance(node: RV, params, shape):
    """Each element's prior variance: sigma^2 of a Normal; of an MvNormal with a Cholesky
    factor, the diagonal of chol chol^T (the row sums of the factor's squares)."""
    if "chol" in params:
        return jnp.broadcast_to(jnp.sum(jnp.tril(params["chol"]) ** 2, -1), shape)
    return jnp.broadcast_to(params["sigma"], shape) ** 2


def _median(r: np.ndarray) -> np.ndarray:
    """Median over the draws (axis 0) of the finite values; 0 where none is finite (a prior
    so wide that the likelihood's curvature overflows says nothing either way)."""
    finite = np.isfinite(r)
    filled = np.where(finite, r, np.nan)
    out = np.zeros(r.shape[1:])
    some = finite.any(axis=0)
    out[some] = np.nanmedian(filled[:, some], axis=0)
    return out

