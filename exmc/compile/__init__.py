"""IR -> flat unconstrained vector -> log-density and gradient (JIT-compiled)."""

from exmc.compile.layout import Block, Layout
from exmc.compile.model import CompiledModel, compile_model

__all__ = ["compile_model", "CompiledModel", "Layout", "Block"]
