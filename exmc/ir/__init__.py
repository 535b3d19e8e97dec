"""Models as data: nodes, the immutable IR, the builder and whole-model analysis."""

from exmc.ir.builder import Builder
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Data, Det, Obs, Potential, Rewrite

__all__ = ["IR", "Builder", "RV", "Obs", "Det", "Data", "Potential", "Rewrite"]
