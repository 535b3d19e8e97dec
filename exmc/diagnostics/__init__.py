"""Diagnostics: pure functions on (chain, draw, ...) arrays."""

from exmc.diagnostics.ess import ess
from exmc.diagnostics.mcse import hdi, mcse_mean, mcse_sd
from exmc.diagnostics.rhat import ess_bulk, ess_tail, rhat

__all__ = ["ess", "ess_bulk", "ess_tail", "rhat", "mcse_mean", "mcse_sd", "hdi"]
