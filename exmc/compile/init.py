"""Initial points: Stan's rule, uniform in (-2, 2) on the unconstrained scale, with retries.

``init_values`` are constrained values for some free rvs, by the user's names (a
non-centered node included: its auxiliary variable is solved for). They are checked
against shape and support before use. A point is kept when the log-density and its
gradient are finite; after ``attempts`` failures the error names the nodes at fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

import jax.numpy as jnp
import numpy as np

from exmc import errors as E
from exmc._x64 import x64
from exmc.compile.evaluate import bounds, resolve_params
from exmc.ir.nodes import RV

if TYPE_CHECKING:
    from exmc.compile.model import CompiledModel

ATTEMPTS = 100
RADIUS = 2.0


def initial_point(
    model: "CompiledModel",
    seed: int = 0,
    init_values: Mapping[str, object] | None = None,
    *,
    chain: int = 0,
    attempts: int = ATTEMPTS,
    logp_and_grad=None,
) -> np.ndarray:
    """A flat unconstrained point where the log-density and gradient are finite.

    Reproducible: the same (seed, chain) gives the same point. ``logp_and_grad`` (flat ->
    (value, gradient)) replaces the model's own, so the sampler can test candidates with a
    function it has compiled anyway.
    """
    logp_and_grad = logp_and_grad or model.logp_and_grad
    if init_values is not None and not isinstance(init_values, Mapping):
        raise E.InitializationError(
            None, f"init_values must be a dict of rv name -> value, got {type(init_values).__name__}"
        )
    fixed = _check_init_values(model, init_values or {})
    rng = np.random.default_rng([int(seed), int(chain)])
    for _ in range(attempts):
        flat = rng.uniform(-RADIUS, RADIUS, size=model.dim)
        flat = _apply_init_values(model, flat, fixed)
        value, grad = logp_and_grad(flat)
        if np.isfinite(value) and np.all(np.isfinite(grad)):
            return flat
    raise _diagnose(model, flat, attempts, bool(fixed))


def _check_init_values(model: "CompiledModel", init_values: Mapping[str, object]) -> dict[str, np.ndarray]:
    source = model.source_ir
    free = set(source.free_rvs())
    fixed: dict[str, np.ndarray] = {}
    for name, value in init_values.items():
        if name not in source:
            raise E.UnknownReferenceError(name, "init_values names a node that is not in the model")
        if name not in free:
            raise E.InitializationError(
                name, "init_values can only set free rvs; this node is observed or deterministic"
            )
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise E.InitializationError(name, f"init value must be numeric, got {value!r:.60}") from None
        shape = model.analysis.shapes[name] if name in model.analysis.shapes else ()
        try:
            array = np.broadcast_to(array, shape).copy()
        except ValueError:
            raise E.ShapeError(name, f"init value of shape {array.shape} does not fit the variable's shape {shape}") from None
        node = source[name]
        ok = node.dist.support.contains(array, node.params)
        if not np.all(ok):
            raise E.InitializationError(
                name, f"init value must lie in the support of {node.dist.__name__}, {node.dist.support.describe()}"
            )
        fixed[name] = array
    order = model.analysis.order
    return dict(sorted(fixed.items(), key=lambda kv: order.index(kv[0])))


def _apply_init_values(model: "CompiledModel", flat: np.ndarray, fixed: Mapping[str, np.ndarray]) -> np.ndarray:
    """Overwrite the blocks of fixed variables, parents first (bounds may depend on them)."""
    rewrites = {r.node: r for r in model.rewrites if r.aux}  # those that moved the node
    for name, value in fixed.items():
        with x64(True):
            _, values = model.evaluate(jnp.asarray(flat))
            if name in rewrites:  # x = mu + sigma * x_raw (x_raw itself where centered), solved
                rewrite = rewrites[name]
                params = {k: values[v] if isinstance(v, str) else v for k, v in rewrite.params.items()}
                target = model.layout[rewrite.aux[0]]
                if "chol" in params:  # x = mu + chol @ z per event (an MvNormal's rewrite)
                    chol = jnp.tril(jnp.asarray(params["chol"]))
                    diff = jnp.asarray(value) - params["mu"]
                    z = jnp.linalg.solve(jnp.broadcast_to(chol, diff.shape + diff.shape[-1:]), diff[..., None])[..., 0]
                    unconstrained = jnp.where(params["centered"][..., None], value, z)
                else:
                    unconstrained = jnp.where(
                        params["centered"], value, (value - params["mu"]) / params["sigma"]
                    )
            else:
                node: RV = model.ir[name]
                target = model.layout[name]
                lower, upper = bounds(node, resolve_params(node, values))
                unconstrained = node.transform.inverse(jnp.asarray(value), lower, upper)
            unconstrained = np.asarray(jnp.broadcast_to(unconstrained, target.shape), dtype=np.float64)
        if not np.all(np.isfinite(unconstrained)):
            raise E.InitializationError(
                name,
                "init value lies outside the support or on its boundary, at the values its "
                "bounds take from the nodes they refer to",
            )
        flat = flat.copy()
        flat[target.slice] = unconstrained.ravel()
    return flat


def _diagnose(model: "CompiledModel", flat: np.ndarray, attempts: int, had_init_values: bool) -> E.InitializationError:
    terms = model.logp_terms(flat)
    _, grad = model.logp_and_grad(flat)
    culprits = [f"the log-density of '{k}' is {v}" for k, v in terms.items() if not np.isfinite(v)]
    culprits += [
        f"the gradient for '{b.name}' is not finite"
        for b in model.layout.blocks
        if not np.all(np.isfinite(grad[b.slice]))
    ]
    names = [k for k, v in terms.items() if not np.isfinite(v)] + [
        b.name for b in model.layout.blocks if not np.all(np.isfinite(grad[b.slice]))
    ]
    where = "with the given init_values" if had_init_values else f"drawn uniformly in (-{RADIUS:g}, {RADIUS:g})"
    return E.InitializationError(
        names[0] if names else None,
        f"no finite log-density and gradient at {attempts} initial points {where}; "
        f"at the last one, {'; '.join(culprits) or 'no single node is at fault'}",
    )
