"""Errors raised for malformed models, before any sampling.

Every error names the node at fault (``err.node``) and says what is wrong with it, so a
user reading the message can fix the model without looking at a JAX trace.
"""

from __future__ import annotations


class ExmcError(ValueError):
    """Base class of every error Exmc raises about a model or its input.

    Parameters
    ----------
    node : str or None
        The name of the node at fault, when there is one.
    problem : str
        What is wrong, in words a modeller understands.
    """

    def __init__(self, node: str | None, problem: str):
        self.node = node
        self.problem = problem
        where = f"node '{node}': " if node is not None else ""
        super().__init__(where + problem)


class DuplicateNameError(ExmcError):
    """Two nodes share a name."""


class UnknownReferenceError(ExmcError):
    """A string reference names no node, or names a node that cannot be referenced."""


class CycleError(ExmcError):
    """The nodes' references form a cycle."""


class DistributionError(ExmcError):
    """The distribution given is not an Exmc distribution."""


class ParameterError(ExmcError):
    """A distribution parameter is unknown, missing, or given in two forms."""


class ParameterDomainError(ExmcError):
    """A constant parameter lies outside its domain (a negative scale, p > 1, ...)."""


class ShapeError(ExmcError):
    """Shapes that do not broadcast, or a value of the wrong shape."""


class DimsError(ShapeError):
    """Named dimensions that are malformed or do not fit: dims that are not names, coords
    that are not distinct labels, a shape with another number of axes than its dims, or an
    axis whose length is not its coords' (``exmc.dims``)."""


class DataError(ExmcError):
    """Observed data that is not finite or lies outside the distribution's support."""


class ObservationError(ExmcError):
    """An observation of something that is not a random variable, or observed twice."""


class DeterministicError(ExmcError):
    """A deterministic node's function fails on its inputs."""


class PotentialError(ExmcError):
    """A potential whose function fails on its inputs or returns something that does not sum
    to one real number."""


class UnknownDataError(UnknownReferenceError):
    """``IR.set_data`` given a name that is no data node (nor observation) of the model."""


class TransformError(ExmcError):
    """A transform that is unknown or does not map onto the variable's support."""


class InitializationError(ExmcError):
    """No valid initial point: bad ``init_values``, or a non-finite log-density or gradient."""


class SettingsError(ExmcError):
    """A sampler setting out of range (draws, chains, target_accept, ...)."""


class TraceFileError(ExmcError):
    """A trace file that cannot be written or read: the path and the reason (``err.path``).
    A failed save leaves any earlier file at that path as it was."""

    def __init__(self, path: str, problem: str):
        self.path = path
        super().__init__(None, f"trace file {path!r}: {problem}")


class SamplingWarning(UserWarning):
    """A run whose draws should not be trusted as they are: divergences, saturated trees, low
    E-BFMI, R-hat above 1.01 or too few effective draws (``exmc.diagnostics.checks``).
    Silence with ``warnings.simplefilter("ignore", exmc.SamplingWarning)``."""


class ModelComparisonWarning(UserWarning):
    """An ELPD estimate that may be unreliable: Pareto k above the PSIS threshold (LOO) or a
    pointwise log-likelihood variance above 0.4 (WAIC)."""
