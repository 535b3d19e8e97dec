"""Automatic non-centering of Normal variables whose scale is itself uncertain.

Rule (decision 7): a free ``x ~ Normal(mu, sigma)`` is rewritten when ``sigma`` depends,
directly or through det nodes, on a free rv. ``mu`` may be anything, a constant included.
A node built with ``noncenter=False`` is left alone.

Before::

    tau ~ HalfCauchy(beta=5)
    theta ~ Normal(mu=mu, sigma=tau)  shape=(8,)

After::

    tau ~ HalfCauchy(beta=5)
    theta_raw ~ Normal(mu=0, sigma=1)  shape=(8,)  [auxiliary for theta]
    theta = noncentered(theta_raw, mu, tau)        [noncenter]

``theta`` keeps its name, so references to it and the trace see the same variable; its
density in the sampler's space gains the Jacobian sum(log sigma) of x = mu + sigma * z.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from exmc.dist.normal import Normal
from exmc.ir.analysis import analyze
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Det, Node, ParamValue, Rewrite, frozen_params

PASS_NAME = "noncenter"


def noncenter(ir: IR) -> IR:
    """Rewrite every eligible Normal into its non-centered form (see the module docstring)."""
    shapes = analyze(ir).shapes
    observed = ir.observations

    def depends_on_free_rv(ref: str, seen: set[str]) -> bool:
        if ref in seen:
            return False
        seen.add(ref)
        node = ir[ref]
        if isinstance(node, RV):
            return ref not in observed
        return any(depends_on_free_rv(dep, seen) for dep in node.deps)

    nodes: list[Node] = []
    rewrites: list[Rewrite] = []
    taken = set(ir.names)
    for node in ir.nodes:
        sigma = node.params.get("sigma") if isinstance(node, RV) else None
        eligible = (
            isinstance(node, RV)
            and node.dist is Normal
            and node.noncenter
            and node.name not in observed
            and isinstance(sigma, str)
            and depends_on_free_rv(sigma, set())
        )
        if not eligible:
            nodes.append(node)
            continue
        raw = _fresh_name(f"{node.name}_raw", taken)
        taken.add(raw)
        mu = node.params["mu"]
        nodes.append(
            RV(raw, Normal, frozen_params({"mu": np.float64(0.0), "sigma": np.float64(1.0)}),
               shapes[node.name], node.transform, noncenter=False, aux_for=node.name)
        )
        fn, deps = _affine(raw, mu, sigma)
        nodes.append(Det(node.name, fn, deps, origin=PASS_NAME))
        mu_text = mu if isinstance(mu, str) else f"{float(mu):g}" if np.ndim(mu) == 0 else "mu"
        rewrites.append(
            Rewrite(
                PASS_NAME, node.name, (raw,),
                f"{node.name} ~ Normal({mu_text}, {sigma}) -> {raw} ~ Normal(0, 1), "
                f"{node.name} = {mu_text} + {sigma} * {raw}",
                frozen_params({"mu": mu, "sigma": sigma}),
            )
        )
    return ir.replace(tuple(nodes), tuple(rewrites))


def _fresh_name(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _affine(raw: str, mu: ParamValue, sigma: str) -> tuple[Callable, tuple[str, ...]]:
    if isinstance(mu, str):
        def noncentered(z, loc, scale):
            return loc + scale * z

        return noncentered, (raw, mu, sigma)

    def noncentered(z, scale):
        return mu + scale * z

    return noncentered, (raw, sigma)
