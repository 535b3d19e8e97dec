"""The model as a function of the flat unconstrained vector.

``evaluate(flat)`` walks the nodes in topological order: it constrains each free rv's block
(adding its log-Jacobian), computes det nodes, and adds each rv's log-density with its
parameters resolved to the *constrained* values of the nodes they name (seed decision 28:
the constrained-parent bug was resolving them to unconstrained ones).
"""

from __future__ import annotations

from typing import Mapping

import jax.numpy as jnp

from exmc.compile.layout import Layout
from exmc.dist.domain import logp_in_domain, runtime_params
from exmc.ir.analysis import Analysis
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Data, Det


def bounds(node: RV, params: Mapping[str, object]):
    """The (lower, upper) an interval-type transform needs, from the support and params."""
    support = node.dist.support

    def resolve(bound):
        return params[bound] if isinstance(bound, str) else bound

    return resolve(support.lower), resolve(support.upper)


def resolve_params(node: RV, values: Mapping[str, object]) -> dict[str, object]:
    return {k: _as_real(values[v]) if isinstance(v, str) else v for k, v in node.params.items()}


def _as_real(value):
    # A det node may return integers (an index, a count); a distribution's arithmetic mixes
    # them with floats, which strict dtype promotion refuses, so they enter as floats.
    if jnp.issubdtype(jnp.result_type(value), jnp.floating):
        return value
    return jnp.asarray(value, dtype=jnp.result_type(float))


def model_data(ir: IR) -> dict[str, object]:
    """The model's data by node name: every data node's value and every observation's data.
    The sampler passes this dict to ``evaluate`` as an argument (decision 57)."""
    return {**{n.name: n.value for n in ir.nodes if isinstance(n, Data)},
            **{o.name: o.data for o in ir.observations.values()}}


def data_values(ir: IR, analysis: Analysis, data: Mapping[str, object] | None) -> dict[str, object]:
    """name -> value of every data node, from ``data`` where it has the name."""
    data = data or {}
    return {name: data.get(name, ir[name].value) for name in analysis.data}


def potential_terms(ir: IR, analysis: Analysis, values: Mapping[str, object]) -> dict[str, object]:
    """name -> sum(fn(*deps)) of every potential, as a float (decision 60)."""
    terms = {}
    for name in analysis.potentials:
        node = ir[name]
        total = jnp.sum(node.fn(*(values[d] for d in node.deps)))
        terms[name] = _as_real(total)
    return terms


def make_evaluate(ir: IR, analysis: Analysis, layout: Layout):
    """Build ``evaluate(flat, data=None) -> (terms, values)``.

    data : optional node name -> array of the same shape and dtype, replacing a data node's
        value or an observation's data (traced: new data of the same shapes compiles nothing
        new; the sampler always passes every one, ``model_data``).
    terms : node name -> scalar log-density contribution. A free rv's term includes its
        transform's log-Jacobian; an observed rv's term is keyed by the Obs node's name; a
        potential's by its own.
    values : rv, det and data name -> constrained value (observed rvs hold their data).
    """
    observed = ir.observations
    steps = [ir[name] for name in analysis.order]

    def evaluate(flat, data=None):
        data = data or {}
        blocks = layout.unflatten(flat)
        values: dict[str, object] = data_values(ir, analysis, data)
        terms: dict[str, object] = {}
        for node in steps:
            if isinstance(node, Det):
                values[node.name] = node.fn(*(values[d] for d in node.deps))
                continue
            params = resolve_params(node, values)
            runtime = runtime_params(node.params)  # -inf outside their domains (decision 54)
            if node.name in observed:
                obs = observed[node.name]
                value = data.get(obs.name, obs.data)
                values[node.name] = value
                terms[obs.name] = logp_in_domain(node.dist, value, params, runtime)
                continue
            y = blocks[node.name]
            lower, upper = bounds(node, params)
            x = node.transform.forward(y, lower, upper)
            values[node.name] = x
            terms[node.name] = logp_in_domain(node.dist, x, params, runtime) + jnp.sum(
                node.transform.log_det_jacobian(y, lower, upper)
            )
        terms.update(potential_terms(ir, analysis, values))
        return terms, values

    return evaluate
