"""``.potential(name, fn, deps)``: a term ``sum(fn(*deps))`` added to the log-density
(decision 60). The checks that need the whole model (its deps exist, ``fn`` runs on their
shapes and returns real numbers) run at compile time in ``exmc.ir.analysis``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from exmc import errors as E
from exmc.ir.nodes import Potential

if TYPE_CHECKING:
    from exmc.ir.ir import IR


def potential(ir: "IR", name: str, fn: Callable, deps: Sequence[str] | str) -> "IR":
    """Add the potential ``name``: ``sum(fn(*values of deps))`` joins the log-density."""
    from exmc.ir.builder import _check_name, fn_and_deps

    name = _check_name(ir, name)
    deps = fn_and_deps(name, fn, deps, E.PotentialError)
    return ir.replace(ir.nodes + (Potential(name, fn, deps),))
