"""Automatic non-centering of Normal variables whose scale is itself uncertain.

Eligible (decision 7): a free ``x ~ Normal(mu, sigma)`` whose ``sigma`` depends, directly or
through det nodes, on a free rv. ``mu`` may be anything, a constant included. A node built
with ``noncenter=False`` is left alone.

Which form each element of an eligible x takes (decision 21), by the pass's ``mode``:

- ``"auto"`` (the default): by its data. Element j stays centered when the likelihood's
  curvature in x_j outweighs the prior's, ``r_j > 1`` (see ``information``), and is
  non-centered otherwise. Groups pinned down by their data keep the centered form, which
  samples them better; weakly informed groups lose the funnel. A node may end up all
  centered (recorded, nothing changed), all non-centered, or mixed element by element.
- ``"always"``: every element non-centered.

Before::

    tau ~ HalfCauchy(beta=5)
    theta ~ Normal(mu=mu, sigma=tau)  shape=(8,)

After (all non-centered)::

    tau ~ HalfCauchy(beta=5)
    theta_raw ~ Normal(mu=0, sigma=1)  shape=(8,)  [auxiliary for theta]
    theta = noncentered(theta_raw, mu, tau)        [noncenter]

Mixed, with the boolean mask ``c`` of centered elements::

    theta_raw ~ Normal(mu=where(c, mu, 0), sigma=where(c, tau, 1))
    theta = where(c, theta_raw, mu + tau * theta_raw)

``theta`` keeps its name, so references to it and the trace see the same variable.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from exmc.dist.multivariate import MvNormal
from exmc.dist.normal import Normal
from exmc.ir.analysis import analyze
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Det, Node, ParamValue, Rewrite, frozen_params
from exmc.rewrite.information import information_ratios

PASS_NAME = "noncenter"
MODES = ("auto", "always")
THRESHOLD = 1.0  # r_j above it: the data outweigh the prior, element j stays centered


def noncenter(ir: IR, mode: str = "auto") -> IR:
    """Rewrite eligible Normals into their non-centered form (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    analysis = analyze(ir)
    shapes = analysis.shapes
    observed = ir.observations

    def depends_on_free_rv(ref: str, seen: set[str]) -> bool:
        if ref in seen:
            return False
        seen.add(ref)
        node = ir[ref]
        if isinstance(node, RV):
            return ref not in observed
        return any(depends_on_free_rv(dep, seen) for dep in node.deps)  # a data node has none

    def eligible(node: Node) -> bool:
        if not isinstance(node, RV) or node.dist not in (Normal, MvNormal):
            return False
        scale = node.params.get("sigma" if node.dist is Normal else "chol")
        return (
            node.noncenter
            and node.name not in observed
            and node.transform is not None
            and node.transform.name == "identity"
            and isinstance(scale, str)
            and depends_on_free_rv(scale, set())
        )

    candidates = tuple(n.name for n in ir.nodes if eligible(n))
    ratios = information_ratios(ir, analysis, candidates) if mode == "auto" else {}

    nodes: list[Node] = []
    rewrites: list[Rewrite] = []
    taken = set(ir.names)
    for node in ir.nodes:
        if node.name not in candidates:
            nodes.append(node)
            continue
        if node.dist is MvNormal:
            made, rewrite = _noncenter_mvnormal(node, shapes[node.name], ratios.get(node.name), mode, taken)
            nodes += made
            rewrites.append(rewrite)
            continue
        mu, sigma = node.params["mu"], node.params["sigma"]
        shape = shapes[node.name]
        centered = ratios[node.name] > THRESHOLD if mode == "auto" else np.zeros(shape, bool)
        why = _reason(ratios.get(node.name), centered)
        mu_text = mu if isinstance(mu, str) else f"{float(mu):g}" if np.ndim(mu) == 0 else "mu"
        if centered.all():
            nodes.append(node)
            rewrites.append(Rewrite(PASS_NAME, node.name, (), f"{node.name} ~ Normal({mu_text}, {sigma}) kept centered; {why}"))
            continue
        raw = _fresh_name(f"{node.name}_raw", taken)
        taken.add(raw)
        if centered.any():
            raw_params = {}
            for param, value, fill in (("mu", mu, 0.0), ("sigma", sigma, 1.0)):
                if isinstance(value, str):
                    det_name = _fresh_name(f"{raw}_{param}", taken)
                    taken.add(det_name)
                    nodes.append(Det(det_name, _masked(centered, fill, shape), (value,), origin=INTERNAL))
                    raw_params[param] = det_name
                else:
                    raw_params[param] = np.where(centered, np.broadcast_to(value, shape), fill)
            fn, deps = _affine(raw, mu, sigma, centered)
            aux = (raw, *(v for v in raw_params.values() if isinstance(v, str)))
            form = (f"{int(centered.sum())} of {centered.size} elements centered, the others "
                    f"{raw} ~ Normal(0, 1), {node.name} = {mu_text} + {sigma} * {raw}")
        else:
            raw_params = {"mu": np.float64(0.0), "sigma": np.float64(1.0)}
            fn, deps = _affine(raw, mu, sigma)
            aux = (raw,)
            form = f"{raw} ~ Normal(0, 1), {node.name} = {mu_text} + {sigma} * {raw}"
        nodes.append(RV(raw, Normal, frozen_params(raw_params), shape, node.transform,
                        noncenter=False, aux_for=node.name))
        nodes.append(Det(node.name, fn, deps, origin=PASS_NAME, dims=node.dims))
        rewrites.append(
            Rewrite(
                PASS_NAME, node.name, aux,
                f"{node.name} ~ Normal({mu_text}, {sigma}) -> {form}" + (f"; {why}" if why else ""),
                frozen_params({"mu": mu, "sigma": sigma, "centered": centered}),
            )
        )
    return ir.replace(tuple(nodes), tuple(rewrites))


INTERNAL = "noncenter:internal"  # det nodes the pass needs but nobody reports


def _reason(ratio, centered) -> str:
    if ratio is None:
        return ""
    median = float(np.median(ratio))
    if centered.all():
        return f"the data outweigh the prior (median information ratio {median:.3g} > {THRESHOLD:g})"
    if not centered.any():
        return f"the prior outweighs the data (median information ratio {median:.3g} <= {THRESHOLD:g})"
    return f"information ratios from {float(np.min(ratio)):.3g} to {float(np.max(ratio)):.3g}, threshold {THRESHOLD:g}"


def _fresh_name(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _affine(raw: str, mu: ParamValue, sigma: str, centered: np.ndarray | None = None):
    """x from its auxiliary: mu + sigma * z, or z itself where ``centered``."""
    mask = None if centered is None else np.asarray(centered)

    def finish(x, z):
        return x if mask is None else jnp.where(mask, z, x)

    if isinstance(mu, str):
        def noncentered(z, loc, scale):
            return finish(loc + scale * z, z)

        return noncentered, (raw, mu, sigma)

    def noncentered(z, scale):
        return finish(mu + scale * z, z)

    return noncentered, (raw, sigma)


def _masked(centered: np.ndarray, fill: float, shape):
    """``value`` where centered, ``fill`` elsewhere, broadcast to ``shape``."""
    mask = np.asarray(centered)

    def masked(value):
        return jnp.where(mask, jnp.broadcast_to(value, shape), fill)

    return masked


def _noncenter_mvnormal(node: RV, shape, ratio, mode: str, taken: set[str]):
    """``x ~ MvNormal(mu, chol)`` -> ``x_raw ~ Normal(0, 1)``, ``x = mu + chol @ x_raw`` per
    event. The data-aware rule decides per event (a vector is transformed as a whole): an
    event stays centered only when every element's information ratio exceeds the threshold
    (one weakly informed element, e.g. a slope, is enough for a funnel). Mixed: ``x_raw ~ MvNormal(where(c, mu, 0), where(c, chol, I))`` and
    ``x = where(c, x_raw, mu + chol @ x_raw)``, c the centered events."""
    mu, chol = node.params["mu"], node.params["chol"]
    batch = shape[:-1]
    if mode == "auto":
        event_ratio = np.asarray(ratio).reshape(shape).min(-1)
        centered = event_ratio > THRESHOLD
    else:
        event_ratio, centered = None, np.zeros(batch, bool)
    why = _reason(event_ratio, centered) if event_ratio is not None else ""
    mu_text = mu if isinstance(mu, str) else "mu"
    if centered.all():
        detail = f"{node.name} ~ MvNormal({mu_text}, chol={chol}) kept centered; {why}"
        return [node], Rewrite(PASS_NAME, node.name, (), detail)
    raw = _fresh_name(f"{node.name}_raw", taken)
    taken.add(raw)
    made: list[Node] = []
    mask = np.asarray(centered)
    if mask.any():
        k = shape[-1]
        raw_params = {}
        for param, value, fill in (("mu", mu, np.zeros(k)), ("chol", chol, np.eye(k))):
            if isinstance(value, str):
                det_name = _fresh_name(f"{raw}_{param}", taken)
                taken.add(det_name)
                made.append(Det(det_name, _masked_event(mask, fill, param == "chol"), (value,), origin=INTERNAL))
                raw_params[param] = det_name
            else:
                raw_params[param] = _masked_event(mask, fill, param == "chol")(np.asarray(value))
                raw_params[param] = np.asarray(raw_params[param])
        raw_node = RV(raw, MvNormal, frozen_params(raw_params), shape, node.transform, noncenter=False, aux_for=node.name)
        aux = (raw, *(v for v in raw_params.values() if isinstance(v, str)))
        form = (f"{int(mask.sum())} of {mask.size} events centered, the others {raw} ~ Normal(0, 1), "
                f"{node.name} = {mu_text} + {chol} @ {raw}")
    else:
        raw_node = RV(raw, Normal, frozen_params({"mu": np.float64(0.0), "sigma": np.float64(1.0)}), shape,
                      node.transform, noncenter=False, aux_for=node.name)
        aux = (raw,)
        form = f"{raw} ~ Normal(0, 1), {node.name} = {mu_text} + {chol} @ {raw}"
    made.append(raw_node)
    fn, deps = _affine_mv(raw, mu, chol, mask if mask.any() else None)
    made.append(Det(node.name, fn, deps, origin=PASS_NAME, dims=node.dims))
    detail = f"{node.name} ~ MvNormal({mu_text}, chol={chol}) -> {form}" + (f"; {why}" if why else "")
    return made, Rewrite(PASS_NAME, node.name, aux, detail, frozen_params({"mu": mu, "chol": chol, "centered": mask}))


def _affine_mv(raw: str, mu: ParamValue, chol: str, centered: np.ndarray | None):
    """x from its auxiliary: mu + tril(chol) @ z per event, or z itself in ``centered`` events."""
    mask = None if centered is None else np.asarray(centered)[..., None]

    def finish(x, z):
        return x if mask is None else jnp.where(mask, z, x)

    def step(factor, z):
        return jnp.einsum("...ij,...j->...i", jnp.tril(factor), z)

    if isinstance(mu, str):
        def noncentered(z, loc, factor):
            return finish(loc + step(factor, z), z)

        return noncentered, (raw, mu, chol)

    def noncentered(z, factor):
        return finish(mu + step(factor, z), z)

    return noncentered, (raw, chol)


def _masked_event(mask: np.ndarray, fill: np.ndarray, matrix: bool):
    """A parameter where its event is centered, ``fill`` (0 or I) elsewhere."""
    where = mask.reshape(mask.shape + (1,) * (2 if matrix else 1))

    def masked(value):
        return jnp.where(where, value, fill)

    return masked
