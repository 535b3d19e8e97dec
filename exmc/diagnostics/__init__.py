"""Diagnostics and model checking: pure functions on (chain, draw, ...) arrays and traces."""

from exmc.diagnostics.autocorr import autocorr, bfmi
from exmc.diagnostics.checks import Problem, check_trace, warn_about
from exmc.diagnostics.ess import ess
from exmc.diagnostics.loo import ELPD, compare, compute_log_likelihood, loo, waic
from exmc.diagnostics.mcse import hdi, mcse_mean, mcse_sd
from exmc.diagnostics.psis import psis
from exmc.diagnostics.rhat import ess_bulk, ess_tail, rhat
from exmc.diagnostics.summary import summary

__all__ = [
    "ess", "ess_bulk", "ess_tail", "rhat", "mcse_mean", "mcse_sd", "hdi", "autocorr", "bfmi",
    "summary", "check_trace", "warn_about", "Problem", "psis", "loo", "waic", "compare", "ELPD",
    "compute_log_likelihood",
]
