"""Malformed models: each raises the right ExmcError subclass, naming the node, before sampling.

One table: a case builds a model (and, at the stage it names, compiles it and asks for an
initial point). The test runs the stages in order and checks that the error comes at the
expected one, so a problem the builder can see is reported while building, and nothing
reaches the sampler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import exmc
from exmc import Builder
from exmc.demo import readme_model

BUILD, COMPILE, INIT = "build", "compile", "initial_point"


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], exmc.IR]
    error: type[exmc.ExmcError]
    node: str
    says: str  # a substring of the message saying what is wrong
    stage: str
    init_values: Mapping[str, object] | None = field(default=None)


def base():
    """A small valid model the cases extend: mu, sigma free; x observed (the README's)."""
    return readme_model()


def vector_rvs():
    """Two free vectors of different lengths."""
    return (
        Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3)
        .rv("b", exmc.HalfNormal, {"sigma": 1.0}, shape=4)
    )


def normal(ir, name, **params):
    return ir.rv(name, exmc.Normal, {"mu": 0.0, "sigma": 1.0, **params})


def observed(dist, params, data, **kw):
    return Builder.new_ir().rv("y", dist, params, **kw).obs("y_obs", "y", data)


def float_of_traced(a):
    return jnp.asarray(float(a))


def python_error(a):
    return {"scale": 2.0}["shift"] * a


CASES = [
    # References.
    Case("unknown-reference-in-param", lambda: base().rv("z", exmc.Normal, {"mu": "nope", "sigma": 1.0}),
         exmc.UnknownReferenceError, "z", "'nope', which is not a node", COMPILE),
    Case("unknown-dep-in-det", lambda: base().det("d", lambda m, q: m + q, ["mu", "missing"]),
         exmc.UnknownReferenceError, "d", "'missing', which is not a node", COMPILE),
    Case("param-references-obs-node", lambda: base().rv("z", exmc.Normal, {"mu": "x_obs", "sigma": 1.0}),
         exmc.UnknownReferenceError, "z", "'x_obs', an observation", COMPILE),
    Case("det-references-obs-node", lambda: base().det("d", jnp.exp, "x_obs"),
         exmc.UnknownReferenceError, "d", "'x_obs', an observation", COMPILE),
    Case("empty-reference", lambda: base().rv("z", exmc.Normal, {"mu": "", "sigma": 1.0}),
         exmc.UnknownReferenceError, "z", "empty reference", BUILD),
    # Names.
    Case("duplicate-rv-rv", lambda: base().rv("mu", exmc.Normal, {"mu": 1.0, "sigma": 1.0}),
         exmc.DuplicateNameError, "mu", "already taken", BUILD),
    Case("duplicate-rv-det", lambda: base().det("sigma", jnp.exp, ["mu"]),
         exmc.DuplicateNameError, "sigma", "already taken", BUILD),
    Case("duplicate-obs-rv", lambda: base().rv("x_obs", exmc.Normal, {"mu": 0.0, "sigma": 1.0}),
         exmc.DuplicateNameError, "x_obs", "already taken", BUILD),
    Case("duplicate-obs-named-as-its-rv", lambda: normal(Builder.new_ir(), "y").obs("y", "y", 1.0),
         exmc.DuplicateNameError, "y", "already taken", BUILD),
    # Cycles.
    Case("cycle-of-two-rvs",
         lambda: Builder.new_ir().rv("a", exmc.Normal, {"mu": "b", "sigma": 1.0})
         .rv("b", exmc.Normal, {"mu": "a", "sigma": 1.0}),
         exmc.CycleError, "a", "cycle: a -> b -> a", COMPILE),
    Case("cycle-through-det",
         lambda: Builder.new_ir().rv("a", exmc.Normal, {"mu": "d", "sigma": 1.0})
         .det("d", lambda a: 2.0 * a, "a"),
         exmc.CycleError, "a", "cycle: a -> d -> a", COMPILE),
    Case("rv-references-itself", lambda: Builder.new_ir().rv("a", exmc.Normal, {"mu": "a", "sigma": 1.0}),
         exmc.CycleError, "a", "cycle: a -> a", COMPILE),
    # Distributions and their parameters.
    Case("unknown-parameter", lambda: Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sd": 1.0}),
         exmc.ParameterError, "z", "Normal has no parameter 'sd'", BUILD),
    Case("missing-parameter", lambda: Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0}),
         exmc.ParameterError, "z", "needs parameter 'sigma'", BUILD),
    Case("bernoulli-p-and-logit-p",
         lambda: observed(exmc.Bernoulli, {"p": 0.5, "logit_p": 0.0}, [0, 1]),
         exmc.ParameterError, "y", "exactly one of the forms", BUILD),
    Case("params-not-a-mapping", lambda: Builder.new_ir().rv("z", exmc.Normal, [0.0, 1.0]),
         exmc.ParameterError, "z", "params must be a dict", BUILD),
    Case("scipy-distribution", lambda: Builder.new_ir().rv("z", scipy.stats.norm, {"loc": 0.0}),
         exmc.DistributionError, "z", "expected an Exmc distribution", BUILD),
    Case("string-distribution", lambda: Builder.new_ir().rv("z", "Normal", {"mu": 0.0, "sigma": 1.0}),
         exmc.DistributionError, "z", "expected an Exmc distribution", BUILD),
    Case("negative-sigma", lambda: normal(Builder.new_ir(), "z", sigma=-1.0),
         exmc.ParameterDomainError, "z", "'sigma' of Normal must lie in positive numbers (> 0), got -1", BUILD),
    Case("zero-sigma", lambda: Builder.new_ir().rv("z", exmc.HalfNormal, {"sigma": 0.0}),
         exmc.ParameterDomainError, "z", "'sigma' of HalfNormal must lie in positive numbers (> 0), got 0", BUILD),
    Case("negative-sigma-in-array",
         lambda: normal(Builder.new_ir(), "z", sigma=np.array([1.0, 2.0, -3.0])),
         exmc.ParameterDomainError, "z", "got -3 at index (2,)", BUILD),
    Case("binomial-p-above-one", lambda: observed(exmc.Binomial, {"n": 10, "p": 1.5}, [3]),
         exmc.ParameterDomainError, "y", "'p' of Binomial must lie in the closed interval [0, 1], got 1.5", BUILD),
    Case("binomial-non-integer-n", lambda: observed(exmc.Binomial, {"n": 2.5, "p": 0.5}, [1]),
         exmc.ParameterDomainError, "y", "'n' of Binomial must lie in non-negative integers, got 2.5", BUILD),
    Case("uniform-lower-above-upper",
         lambda: Builder.new_ir().rv("z", exmc.Uniform, {"lower": 2.0, "upper": 1.0}),
         exmc.ParameterDomainError, "z", "needs lower < upper", BUILD),
    Case("uniform-lower-equals-upper",
         lambda: Builder.new_ir().rv("z", exmc.Uniform, {"lower": 1.0, "upper": 1.0}),
         exmc.ParameterDomainError, "z", "needs lower < upper", BUILD),
    Case("nan-parameter", lambda: normal(Builder.new_ir(), "z", mu=np.nan),
         exmc.ParameterDomainError, "z", "'mu' of Normal must be finite, got nan", BUILD),
    Case("inf-parameter", lambda: normal(Builder.new_ir(), "z", mu=np.array([0.0, np.inf])),
         exmc.ParameterDomainError, "z", "'mu' of Normal must be finite, got inf at index (1,)", BUILD),
    Case("none-parameter", lambda: normal(Builder.new_ir(), "z", sigma=None),
         exmc.ParameterDomainError, "z", "'sigma' of Normal must be numeric, got None", BUILD),
    Case("non-numeric-parameter", lambda: normal(Builder.new_ir(), "z", mu=[0.0, "a"]),
         exmc.ParameterDomainError, "z", "'mu' of Normal must be numeric", BUILD),
    # Shapes.
    Case("param-does-not-broadcast-to-shape",
         lambda: normal(Builder.new_ir(), "z", mu=np.zeros(3)).rv("w", exmc.Normal, {"mu": np.zeros(3), "sigma": 1.0}, shape=4),
         exmc.ShapeError, "w", "'mu' of shape (3,) does not broadcast to the shape (4,)", BUILD),
    Case("param-larger-than-shape",
         lambda: Builder.new_ir().rv("w", exmc.Normal, {"mu": np.zeros(3), "sigma": 1.0}, shape=()),
         exmc.ShapeError, "w", "'mu' of shape (3,) does not broadcast to the shape ()", BUILD),
    Case("negative-shape", lambda: Builder.new_ir().rv("w", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=-2),
         exmc.ShapeError, "w", "non-negative ints", BUILD),
    Case("referenced-param-shapes-do-not-broadcast",
         lambda: vector_rvs().rv("z", exmc.Normal, {"mu": "a", "sigma": "b"}),
         exmc.ShapeError, "z", "parameter shapes do not broadcast: mu (3,), sigma (4,)", COMPILE),
    Case("referenced-param-does-not-broadcast-to-shape",
         lambda: vector_rvs().rv("z", exmc.Normal, {"mu": "a", "sigma": 1.0}, shape=(2, 4)),
         exmc.ShapeError, "z", "'mu' of shape (3,) does not broadcast to the shape (2, 4)", COMPILE),
    Case("data-does-not-match-explicit-shape",
         lambda: Builder.new_ir().rv("y", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3).obs("y_obs", "y", np.zeros(4)),
         exmc.ShapeError, "y_obs", "data of shape (4,) observes 'y' of shape (3,)", BUILD),
    Case("data-does-not-match-param-shape",
         lambda: observed(exmc.Normal, {"mu": np.zeros(3), "sigma": 1.0}, np.zeros(4)),
         exmc.ShapeError, "y", "'mu' of shape (3,) does not broadcast to the observed data ('y_obs') (4,)", COMPILE),
    # Observed data.
    Case("poisson-data-negative", lambda: observed(exmc.Poisson, {"mu": 3.0}, [1, -2, 4]),
         exmc.DataError, "y_obs", "support of Poisson, non-negative integers; got -2 at index (1,)", BUILD),
    Case("poisson-data-non-integer", lambda: observed(exmc.Poisson, {"mu": 3.0}, [1, 2.5]),
         exmc.DataError, "y_obs", "support of Poisson, non-negative integers; got 2.5 at index (1,)", BUILD),
    Case("bernoulli-data-half", lambda: observed(exmc.Bernoulli, {"p": 0.3}, [0, 1, 0.5]),
         exmc.DataError, "y_obs", "support of Bernoulli, {0, 1}; got 0.5", BUILD),
    Case("beta-data-zero", lambda: observed(exmc.Beta, {"alpha": 2.0, "beta": 2.0}, [0.2, 0.0]),
         exmc.DataError, "y_obs", "support of Beta, the open interval (0, 1); got 0 at index (1,)", BUILD),
    Case("beta-data-above-one", lambda: observed(exmc.Beta, {"alpha": 2.0, "beta": 2.0}, 1.2),
         exmc.DataError, "y_obs", "support of Beta, the open interval (0, 1); got 1.2", BUILD),
    Case("binomial-data-above-n", lambda: observed(exmc.Binomial, {"n": 5, "p": 0.5}, [3, 6]),
         exmc.DataError, "y_obs", "support of Binomial, the integers 0.0..n; got 6 at index (1,)", BUILD),
    Case("uniform-data-outside-bounds", lambda: observed(exmc.Uniform, {"lower": 0.0, "upper": 2.0}, [1.0, 3.0]),
         exmc.DataError, "y_obs", "got 3 at index (1,)", BUILD),
    Case("nan-data", lambda: observed(exmc.Normal, {"mu": 0.0, "sigma": 1.0}, [1.0, np.nan]),
         exmc.DataError, "y_obs", "observed data for 'y' must be finite, got nan at index (1,)", BUILD),
    Case("inf-data", lambda: observed(exmc.Normal, {"mu": 0.0, "sigma": 1.0}, -np.inf),
         exmc.DataError, "y_obs", "observed data for 'y' must be finite, got -inf", BUILD),
    Case("non-numeric-data", lambda: observed(exmc.Normal, {"mu": 0.0, "sigma": 1.0}, ["a", "b"]),
         exmc.DataError, "y_obs", "observed data for 'y' must be numeric", BUILD),
    Case("none-data", lambda: observed(exmc.Normal, {"mu": 0.0, "sigma": 1.0}, None),
         exmc.DataError, "y_obs", "observed data for 'y' must be numeric, got None", BUILD),
    # Observations.
    Case("obs-of-unknown-name", lambda: base().obs("z_obs", "z", [1.0]),
         exmc.UnknownReferenceError, "z_obs", "observes 'z', which is not a node", BUILD),
    Case("obs-of-det", lambda: base().det("d", jnp.exp, "mu").obs("d_obs", "d", 1.0),
         exmc.ObservationError, "d_obs", "observes 'd', which is a deterministic node", BUILD),
    Case("obs-of-obs", lambda: base().obs("again", "x_obs", [1.0, 2.0, 3.0]),
         exmc.ObservationError, "again", "observes 'x_obs', which is an observation", BUILD),
    Case("same-rv-observed-twice", lambda: base().obs("x_obs2", "x", [1.0, 2.0, 3.0]),
         exmc.ObservationError, "x_obs2", "observes 'x', already observed by 'x_obs'", BUILD),
    # Deterministic nodes.
    Case("det-shapes-do-not-broadcast-inside-fn", lambda: vector_rvs().det("d", lambda a, b: a + b, ["a", "b"]),
         exmc.DeterministicError, "d", "fn fails on its inputs (a (3,), b (4,))", COMPILE),
    Case("det-calls-float-on-traced-value", lambda: base().det("d", float_of_traced, "mu"),
         exmc.DeterministicError, "d", "fn fails on its inputs (mu ()): ConcretizationTypeError", COMPILE),
    Case("det-python-error", lambda: base().det("d", python_error, "mu"),
         exmc.DeterministicError, "d", "fn fails on its inputs (mu ()): KeyError: 'shift'", COMPILE),
    Case("det-wrong-arity", lambda: base().det("d", lambda m: m, ["mu", "sigma"]),
         exmc.DeterministicError, "d", "fn fails on its inputs (mu (), sigma ()): TypeError", COMPILE),
    Case("det-returns-tuple", lambda: base().det("d", lambda m, s: (m, s), ["mu", "sigma"]),
         exmc.DeterministicError, "d", "fn must return one array, got tuple", COMPILE),
    Case("det-returns-bool", lambda: base().det("d", lambda m: m > 0, "mu"),
         exmc.DeterministicError, "d", "fn must return real numbers, got dtype bool", COMPILE),
    Case("det-fn-not-callable", lambda: base().det("d", 2.0, "mu"),
         exmc.DeterministicError, "d", "fn must be callable", BUILD),
    # Transforms and discreteness.
    Case("unknown-transform", lambda: Builder.new_ir().rv("z", exmc.HalfNormal, {"sigma": 1.0}, transform="softplus"),
         exmc.TransformError, "z", "unknown transform 'softplus'", BUILD),
    Case("log-transform-on-normal", lambda: normal(Builder.new_ir(), "z").rv("w", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, transform="log"),
         exmc.TransformError, "w", "transform 'log' does not map the real line onto the support, real numbers", BUILD),
    Case("identity-transform-on-halfnormal",
         lambda: Builder.new_ir().rv("z", exmc.HalfNormal, {"sigma": 1.0}, transform="identity"),
         exmc.TransformError, "z", "transform 'identity' does not map the real line onto the support", BUILD),
    Case("transform-on-discrete", lambda: observed(exmc.Poisson, {"mu": 2.0}, [1, 2], transform="log"),
         exmc.TransformError, "y", "Poisson is discrete and takes no transform", BUILD),
    Case("discrete-rv-unobserved", lambda: base().rv("k", exmc.Poisson, {"mu": 3.0}),
         exmc.DistributionError, "k", "Poisson is discrete, so NUTS cannot sample it", COMPILE),
    # init_values.
    Case("init-unknown-node", base, exmc.UnknownReferenceError, "nope",
         "init_values names a node that is not in the model", INIT, {"nope": 1.0}),
    Case("init-observed-node", base, exmc.InitializationError, "x",
         "init_values can only set free rvs; this node is observed", INIT, {"x": [1.0, 2.0, 3.0]}),
    Case("init-obs-node", base, exmc.InitializationError, "x_obs",
         "init_values can only set free rvs", INIT, {"x_obs": [1.0, 2.0, 3.0]}),
    Case("init-outside-support", base, exmc.InitializationError, "sigma",
         "init value must lie in the support of HalfNormal, positive numbers (> 0)", INIT, {"sigma": -1.0}),
    Case("init-wrong-shape", lambda: vector_rvs(), exmc.ShapeError, "a",
         "init value of shape (4,) does not fit the variable's shape (3,)", INIT, {"a": np.zeros(4)}),
    Case("init-outside-referenced-bounds",
         lambda: Builder.new_ir().rv("lo", exmc.Uniform, {"lower": 0.0, "upper": 1.0})
         .rv("z", exmc.Uniform, {"lower": "lo", "upper": 2.0}),
         exmc.InitializationError, "z", "init value lies outside the support or on its boundary", INIT, {"z": -5.0}),
    # No finite starting point anywhere.
    Case("uniform-bounds-always-crossed",
         # lo in (10, 11) and hi in (0, 1): z ~ Uniform(lo, hi) has an empty support.
         lambda: Builder.new_ir().rv("lo", exmc.Uniform, {"lower": 10.0, "upper": 11.0})
         .rv("hi", exmc.Uniform, {"lower": 0.0, "upper": 1.0})
         .rv("z", exmc.Uniform, {"lower": "lo", "upper": "hi"}),
         exmc.InitializationError, "z", "no finite log-density and gradient at 100 initial points", INIT),
    Case("data-always-below-referenced-lower-bound",
         # lo in (10, 11), so 5.0 is never inside (lo, 20).
         lambda: Builder.new_ir().rv("lo", exmc.Uniform, {"lower": 10.0, "upper": 11.0})
         .rv("y", exmc.Uniform, {"lower": "lo", "upper": 20.0}).obs("y_obs", "y", [12.0, 5.0]),
         exmc.InitializationError, "y_obs", "the log-density of 'y_obs' is -inf", INIT),
    Case("impossible-count-for-poisson-zero", lambda: observed(exmc.Poisson, {"mu": 0.0}, [0, 3]),
         exmc.InitializationError, "y_obs", "the log-density of 'y_obs' is -inf", INIT),
]


def _raise_in_stages(case: Case) -> tuple[str, exmc.ExmcError]:
    """Build, compile, find an initial point, in that order; the stage that raised and the error.

    Anything other than an ExmcError (a raw JAX or NumPy exception) propagates and fails the test.
    """
    stage = BUILD
    try:
        ir = case.build()
        stage = COMPILE
        model = exmc.compile_model(ir)
        stage = INIT
        model.initial_point(0, case.init_values)
    except exmc.ExmcError as err:
        return stage, err
    pytest.fail(f"{case.id}: no error was raised")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_model_raises_naming_node(case: Case):
    stage, err = _raise_in_stages(case)
    message = str(err)
    assert isinstance(err, case.error), f"{type(err).__name__}: {message}"
    assert stage == case.stage, f"raised at {stage}, expected at {case.stage}: {message}"
    assert err.node == case.node, message
    assert f"node '{case.node}'" in message
    assert case.says in message
    # A message for a modeller: one line, no JAX trace chained behind it.
    assert "\n" not in message
    assert "Traceback" not in message and "jax._src" not in message
    assert err.__cause__ is None


def test_table_is_large_and_ids_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


def test_init_values_must_be_a_mapping():
    model = exmc.compile_model(base())
    with pytest.raises(exmc.InitializationError, match="init_values must be a dict of rv name -> value, got list"):
        model.initial_point(0, [("mu", 1.0)])


def test_nameless_problems_say_what_is_wrong():
    with pytest.raises(exmc.ExmcError, match="a node name must be a non-empty string, got 3") as info:
        Builder.new_ir().rv(3, exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    assert info.value.node is None
    with pytest.raises(exmc.ExmcError, match="compile_model expects an exmc.IR, got dict") as info:
        exmc.compile_model({"mu": 0.0})
    assert info.value.node is None


def test_det_returning_integers_is_a_valid_param():
    """Not malformed: an integer det value used as a param enters the density as a float
    (it once failed with a raw TypePromotionError under strict dtype promotion)."""
    ir = (
        base()
        .det("k", lambda m: jnp.arange(3) + jnp.argmax(jnp.stack([m, -m])), "mu")
        .rv("z", exmc.Normal, {"mu": "k", "sigma": 1.0})
    )
    model = exmc.compile_model(ir)
    point = model.initial_point(0)
    values = model.to_constrained(point)
    assert np.issubdtype(values["k"].dtype, np.integer)
    k = values["k"].astype(np.float64)
    z = values["z"]
    expected = -0.5 * np.sum((z - k) ** 2) - 3 * 0.5 * np.log(2 * np.pi)
    assert model.logp_terms(point)["z"] == pytest.approx(expected, rel=1e-12)
