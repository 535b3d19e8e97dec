"""Rewrite passes: pure IR -> IR functions, run in order by the compiler.

Each pass appends what it changed to ``IR.rewrites``; ``CompiledModel.rewrites`` reports it.
"""

from __future__ import annotations

from exmc.ir.ir import IR
from exmc.rewrite.noncenter import noncenter


def run_passes(ir: IR, *, noncenter: bool = True) -> IR:
    """The pipeline. ``noncenter=False`` turns the non-centering pass off for the whole model."""
    passes = [_noncenter] if noncenter else []
    for rewrite in passes:
        ir = rewrite(ir)
    return ir


_noncenter = noncenter

__all__ = ["run_passes", "noncenter"]
