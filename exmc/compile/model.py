"""``compile_model``: IR -> rewrite passes -> a JIT-compiled log-density over a flat vector."""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from exmc import errors as E
from exmc._x64 import x64
from exmc.compile.evaluate import make_evaluate, model_data
from exmc.compile.layout import Layout
from exmc.ir.analysis import analyze
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Rewrite
from exmc.rewrite import run_passes
from exmc.rewrite.noncenter import INTERNAL


def compile_model(ir: IR, *, noncenter: str | bool = "auto") -> "CompiledModel":
    """Check ``ir``, run the rewrite passes and compile its log-density.

    Parameters
    ----------
    ir : the model.
    noncenter : "auto" (default) non-centers each element of a hierarchical Normal whose data
        say less about it than its prior does (decision 21); True non-centers every eligible
        element; False turns the pass off for the whole model (``Builder.rv(...,
        noncenter=False)`` does it for one node). ``.rewrites`` reports what was decided.

    Raises an ``exmc.ExmcError`` subclass naming the node for any malformed model.
    """
    if not isinstance(ir, IR):
        raise E.ExmcError(None, f"compile_model expects an exmc.IR, got {type(ir).__name__}")
    if not (isinstance(noncenter, bool) or (isinstance(noncenter, str) and noncenter == "auto")):
        raise E.SettingsError(None, f'noncenter must be "auto", True or False, got {noncenter!r}')
    analyze(ir)  # report problems against the user's own model, before any rewrite
    rewritten = run_passes(ir, noncenter=noncenter)
    return CompiledModel(ir, rewritten)


class CompiledModel:
    """A model compiled to functions of the flat unconstrained vector.

    Attributes
    ----------
    dim : length of the flat vector.
    layout : which slice of the flat vector holds which free rv (see ``exmc.compile.layout``).
    rewrites : what the rewrite passes changed, one ``Rewrite`` record each.
    ir, source_ir : the rewritten IR that is compiled, and the user's IR.

    ``logp_fn`` and ``evaluate`` are pure JAX functions, for the sampler to compose into its
    own compiled loops; the methods below are the convenient, float64, numpy-facing forms.
    """

    def __init__(self, source_ir: IR, ir: IR):
        self.source_ir = source_ir
        self.ir = ir
        self.analysis = analyze(ir)
        transforms = {name: ir[name].transform for name in self.analysis.free}
        self.layout = Layout.build(self.analysis.free, self.analysis.shapes, transforms)
        self.evaluate = make_evaluate(ir, self.analysis, self.layout)
        # the data, passed to the compiled sampler as arguments (decision 57)
        self.data = model_data(ir)

        def logp_fn(flat, data=None):
            terms, _ = self.evaluate(flat, data)
            return sum(terms.values(), jnp.zeros((), flat.dtype))

        self.logp_fn = logp_fn
        self._logp = jax.jit(logp_fn)
        self._logp_and_grad = jax.jit(jax.value_and_grad(logp_fn))
        self._terms = jax.jit(lambda flat: self.evaluate(flat)[0])
        self._values = jax.jit(lambda flat: self._reported(self.evaluate(flat)[1]))

    # Facts.
    @property
    def dim(self) -> int:
        return self.layout.dim

    @property
    def rewrites(self) -> tuple[Rewrite, ...]:
        return self.ir.rewrites

    @property
    def free_rvs(self) -> tuple[str, ...]:
        """Names of the variables the sampler moves (auxiliary ones included), in flat order."""
        return self.layout.names

    @property
    def auxiliary(self) -> dict[str, str]:
        """Auxiliary variable -> the user's node it stands in for."""
        return {n.name: n.aux_for for n in self.ir.nodes if isinstance(n, RV) and n.aux_for}

    @property
    def value_names(self) -> tuple[str, ...]:
        """The names ``to_constrained`` reports: free rvs (auxiliary included) and det nodes."""
        observed = self.ir.observations
        return tuple(
            n for n in self.analysis.order
            if n not in observed and getattr(self.ir[n], "origin", None) != INTERNAL
        )

    def _reported(self, values: Mapping[str, object]) -> dict[str, object]:
        return {name: values[name] for name in self.value_names}

    def structure_key(self) -> tuple:
        """What decides the compiled sampler's program, data values excepted: the user's IR's
        structure token (kept by ``set_data``, decision 57), what the rewrites decided (the
        non-centering masks follow the data) and each datum's shape and dtype. Two models
        with equal keys differ at most in their data, which the sampler takes as arguments."""
        decided = tuple(
            (r.pass_name, r.node, r.aux,
             None if "centered" not in r.params
             else (np.shape(r.params["centered"]), np.asarray(r.params["centered"]).tobytes()))
            for r in self.rewrites
        )
        shapes = tuple((k, np.shape(v), str(np.asarray(v).dtype)) for k, v in self.data.items())
        return (self.source_ir.structure, decided, shapes)

    # Numerics.
    def _flat(self, x) -> np.ndarray:
        flat = np.asarray(x, dtype=np.float64)
        if flat.shape != (self.dim,):
            raise E.ShapeError(None, f"expected a flat vector of shape ({self.dim},), got {flat.shape}")
        return flat

    def logp(self, x) -> float:
        """Log-density at the unconstrained point ``x``, log-Jacobians included."""
        flat = self._flat(x)
        with x64(True):
            return float(self._logp(flat))

    def logp_and_grad(self, x) -> tuple[float, np.ndarray]:
        """Log-density and its gradient with respect to the unconstrained ``x``."""
        flat = self._flat(x)
        with x64(True):
            value, grad = self._logp_and_grad(flat)
            return float(value), np.asarray(grad)

    def logp_terms(self, x) -> dict[str, float]:
        """Each node's contribution to the log-density at ``x`` (for debugging a model)."""
        flat = self._flat(x)
        with x64(True):
            return {k: float(v) for k, v in self._terms(flat).items()}

    def to_constrained(self, x) -> dict[str, np.ndarray]:
        """rv and det values (constrained) at the unconstrained point ``x``, by name."""
        flat = self._flat(x)
        with x64(True):
            return {k: np.asarray(v) for k, v in self._values(flat).items()}

    def initial_point(
        self, seed: int = 0, init_values: Mapping[str, object] | None = None, *, chain: int = 0, logp_and_grad=None
    ) -> np.ndarray:
        """A flat starting point; see ``exmc.compile.init.initial_point``."""
        from exmc.compile.init import initial_point

        return initial_point(self, seed, init_values, chain=chain, logp_and_grad=logp_and_grad)

    def __repr__(self) -> str:
        parts = ", ".join(f"{b.name}{list(b.shape) if b.shape else ''}" for b in self.layout.blocks)
        return f"CompiledModel(dim={self.dim}, free=[{parts}], rewrites={len(self.rewrites)})"
