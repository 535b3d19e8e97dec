"""Diagnostics: pure functions on (chain, draw, ...) arrays."""

from exmc.diagnostics.ess import ess

__all__ = ["ess"]
