"""Exmc: probabilistic programming on JAX, with a live dashboard in JupyterLab.

Models are data: ``Builder.new_ir().rv(...).obs(...)`` -> ``compile_model`` -> sampling.
"""

from exmc import compilation_cache as _compilation_cache
from exmc import dist
from exmc.compile import CompiledModel, compile_model
from exmc.dist import (
    Bernoulli,
    Beta,
    Binomial,
    Cauchy,
    Exponential,
    Gamma,
    HalfCauchy,
    HalfNormal,
    LogNormal,
    Normal,
    Poisson,
    StudentT,
    Uniform,
)
from exmc.errors import (
    CycleError,
    DataError,
    DeterministicError,
    DistributionError,
    DuplicateNameError,
    ExmcError,
    InitializationError,
    ModelComparisonWarning,
    ObservationError,
    SettingsError,
    ParameterDomainError,
    ParameterError,
    SamplingWarning,
    ShapeError,
    TransformError,
    UnknownReferenceError,
)
from exmc.ir import IR, Builder
from exmc.sampler import Batch, SamplerState, sample, sample_stream
from exmc.trace import Trace, concat, trace_from_batches
from exmc.trace_io import load_trace
from exmc.diagnostics import ELPD, compare, compute_log_likelihood, loo, summary, waic
from exmc.predictive import sample_posterior_predictive, sample_prior_predictive
from exmc.compilation_cache import clear_compilation_cache

_compilation_cache.enable()

__version__ = "0.1.0"

__all__ = [
    "Builder",
    "IR",
    "compile_model",
    "sample",
    "sample_stream",
    "Batch",
    "SamplerState",
    "Trace",
    "trace_from_batches",
    "concat",
    "load_trace",
    "clear_compilation_cache",
    "summary",
    "loo",
    "waic",
    "compare",
    "ELPD",
    "compute_log_likelihood",
    "sample_prior_predictive",
    "sample_posterior_predictive",
    "SamplingWarning",
    "ModelComparisonWarning",
    "CompiledModel",
    "dist",
    "Normal",
    "HalfNormal",
    "Exponential",
    "Gamma",
    "Beta",
    "Uniform",
    "StudentT",
    "Cauchy",
    "HalfCauchy",
    "LogNormal",
    "Bernoulli",
    "Binomial",
    "Poisson",
    "ExmcError",
    "DuplicateNameError",
    "UnknownReferenceError",
    "CycleError",
    "DistributionError",
    "ParameterError",
    "ParameterDomainError",
    "ShapeError",
    "DataError",
    "ObservationError",
    "DeterministicError",
    "TransformError",
    "InitializationError",
    "SettingsError",
]
