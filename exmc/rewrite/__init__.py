"""Rewrite passes: pure IR -> IR functions, run in order by the compiler.

Each pass appends what it changed to ``IR.rewrites``; ``CompiledModel.rewrites`` reports it.
"""

from __future__ import annotations

from exmc.ir.ir import IR
from exmc.rewrite.noncenter import noncenter


def run_passes(ir: IR, *, noncenter: str | bool = "auto") -> IR:
    """The pipeline.

    noncenter : "auto" non-centers each element of an eligible Normal whose data say less
        about it than its prior (decision 21); True non-centers every eligible element; False
        turns the pass off for the whole model.
    """
    if noncenter is False:
        return ir
    return _noncenter(ir, mode="always" if noncenter is True else "auto")


_noncenter = noncenter

__all__ = ["run_passes", "noncenter"]
