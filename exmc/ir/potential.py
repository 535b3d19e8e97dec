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
    from exmc.ir.builder import _check_name

    name = _check_name(ir, name)
    if not callable(fn):
        raise E.PotentialError(name, f"fn must be callable, got {fn!r}")
    if isinstance(deps, str):
        deps = (deps,)
    try:
        deps = tuple(deps)
    except TypeError:
        raise E.PotentialError(name, f"deps must be a list of node names, got {deps!r}") from None
    for dep in deps:
        if not isinstance(dep, str) or not dep:
            raise E.UnknownReferenceError(name, f"deps must be node names, got {dep!r}")
    return ir.replace(ir.nodes + (Potential(name, fn, deps),))
