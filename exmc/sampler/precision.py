"""``dtype="float32"``: the sampler's arithmetic in single precision, for accelerators.

The flat vector, log-density, gradient, step size, metric and warmup statistics are float32;
the random numbers stay 64-bit counters (``rng``), so the seed story is unchanged. The
observed data and the rvs' constant parameters enter as float32. What det nodes compute from
constants they close over is promoted as JAX promotes it: a user who wants the whole
likelihood in float32 writes those constants (a design matrix) as float32; a float64 one keeps
its product in float64, then rounded (and fails under strict dtype promotion). Reported draws and det values are
computed from the float32 positions in float64.

Limits (decision 69): float32 carries about 7 significant digits. NUTS compares the energy
(minus the log-density plus the kinetic energy) along a trajectory; with a log-density of
magnitude L the energy errors it sees are rounded to about L * 6e-8, so a log-density of 1e6
(a million-row likelihood) has energy errors known to about 0.06: acceptance statistics are
blurred and the step size adapts to the noise. Gradients of sums over many rows lose relative
precision like sqrt(rows) * 6e-8. Posterior summaries agree with float64 within Monte Carlo
error for well-scaled models of moderate size; ill-conditioned posteriors, very large
likelihoods and tails beyond float32's range (exp underflows at -103) need float64, the
default.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from exmc.compile.evaluate import make_evaluate
from exmc.compile.model import CompiledModel
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Obs

DTYPES = ("float64", "float32")


def _cast(value, dt):
    if isinstance(value, str) or not np.issubdtype(np.asarray(value).dtype, np.floating):
        return value
    return np.asarray(value, dt)


def cast_ir(ir: IR, dtype: str) -> IR:
    """``ir`` with its rvs' constant parameters and its observed data in ``dtype``."""
    dt = np.dtype(dtype)
    nodes = []
    for node in ir.nodes:
        if isinstance(node, RV):
            node = dataclasses.replace(node, params={k: _cast(v, dt) for k, v in node.params.items()})
        elif isinstance(node, Obs):
            node = dataclasses.replace(node, data=np.asarray(node.data, dt))
        nodes.append(node)
    return ir.replace(tuple(nodes))


def logp_and_grad(model: CompiledModel, dtype: str):
    """``f(flat) -> (logp, grad)`` of ``model`` with ``flat``, the constant parameters and
    the observed data in ``dtype``, and the log-density rounded to it."""
    dt = jnp.dtype(dtype)
    evaluate = make_evaluate(cast_ir(model.ir, dtype), model.analysis, model.layout)

    def logp(flat):
        terms, _ = evaluate(flat)
        return sum(terms.values(), jnp.zeros((), dt)).astype(dt)

    return jax.value_and_grad(logp)
