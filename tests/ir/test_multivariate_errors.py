"""Malformed multivariate models (decision 40): each raises the right ``ExmcError`` subclass
naming the node at fault and saying what is wrong, at build or compile time."""

from __future__ import annotations

import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc import errors as E


def _new():
    return Builder.new_ir()


def _mv(cov, **kw):
    return _new().rv("x", exmc.MvNormal, {"mu": np.zeros(2), "cov": cov}, **kw)


def _compile(ir):
    return exmc.compile_model(ir)


GOOD_COV = np.array([[1.0, 0.3], [0.3, 2.0]])
ROWS = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])

CASES = [
    ("non-square-cov", lambda: _compile(_mv(np.ones((2, 3)))), E.ShapeError, "x", r"'cov' must be square.*\(2, 3\)"),
    ("non-pd-cov", lambda: _mv(np.array([[1.0, 2.0], [2.0, 1.0]])), E.ParameterDomainError, "x",
     "'cov' must be a symmetric positive definite"),
    ("asymmetric-cov", lambda: _mv(np.array([[1.0, 0.5], [0.1, 1.0]])), E.ParameterDomainError, "x", "symmetric"),
    ("chol-not-triangular", lambda: _new().rv("x", exmc.MvNormal, {"mu": np.zeros(2), "chol": np.ones((2, 2))}),
     E.ParameterDomainError, "x", "'chol' must be lower triangular"),
    ("mu-cov-mismatch", lambda: _new().rv("x", exmc.MvNormal, {"mu": np.zeros(3), "cov": GOOD_COV}, shape=3),
     E.ShapeError, "x", r"parameter 'mu' of event shape \(3,\) does not match parameter 'cov' of event shape \(2, 2\)"),
    ("value-event-vs-cov", lambda: _mv(GOOD_COV, shape=(5, 3)), E.ShapeError, "x",
     r"value's event shape \(3,\) does not match parameter 'cov' of event shape \(2, 2\)"),
    ("observed-event-vs-cov", lambda: _compile(_mv(GOOD_COV).obs("x_obs", "x", np.zeros((10, 3)))),
     E.ShapeError, "x", r"\(3,\) does not match parameter 'cov'"),
    ("cov-batch-vs-shape", lambda: _mv(np.stack([GOOD_COV] * 4), shape=(3, 2)), E.ShapeError, "x",
     r"parameter 'cov' of shape \(4, 2, 2\) \(batch \(4,\), event \(2, 2\)\) does not broadcast to the shape \(3, 2\)"),
    ("cov-from-a-vector-node", lambda: _compile(
        _new().rv("v", exmc.HalfNormal, {"sigma": 1.0}, shape=2).rv("x", exmc.MvNormal, {"mu": np.zeros(2), "cov": "v"})),
     E.ShapeError, "x", r"parameter 'cov' of shape \(2,\) has fewer axes than its 2-axis event"),
    ("simplex-data-not-summing-to-1", lambda: _new().rv("p", exmc.Dirichlet, {"a": np.ones(3)})
     .obs("p_obs", "p", np.array([0.2, 0.3, 0.4])), E.DataError, "p_obs", "probability simplex"),
    ("simplex-data-negative", lambda: _new().rv("p", exmc.Dirichlet, {"a": np.ones(3)})
     .obs("p_obs", "p", np.array([-0.2, 0.7, 0.5])), E.DataError, "p_obs", "simplex"),
    ("dirichlet-a-vs-data", lambda: _compile(_new().rv("p", exmc.Dirichlet, {"a": np.ones(4)}).obs("p_obs", "p", ROWS)),
     E.ShapeError, "p", r"parameter 'a' of event shape \(4,\) does not match the value's event shape \(3,\)"),
    ("counts-not-summing-to-n", lambda: _new().rv("y", exmc.Multinomial, {"n": 10.0, "p": ROWS[0]})
     .obs("y_obs", "y", np.array([[3.0, 3.0, 3.0]])), E.DataError, "y_obs", "summing to n"),
    ("multinomial-p-not-summing-to-1", lambda: _new().rv("y", exmc.Multinomial, {"n": 10.0, "p": np.array([0.5, 0.6])}),
     E.ParameterDomainError, "y", "'p' must sum to 1"),
    ("categorical-p-not-summing-to-1", lambda: _new().rv("y", exmc.Categorical, {"p": np.array([0.5, 0.4, 0.3])}),
     E.ParameterDomainError, "y", "'p' must sum to 1"),
    ("categorical-data-out-of-range", lambda: _new().rv("y", exmc.Categorical, {"p": ROWS[0]})
     .obs("y_obs", "y", np.array([0.0, 3.0])), E.DataError, "y_obs", "categories 0..K-1"),
    ("categorical-data-out-of-range-of-a-node", lambda: _compile(
        _new().rv("w", exmc.Dirichlet, {"a": np.ones(3)}).rv("y", exmc.Categorical, {"p": "w"})
        .obs("y_obs", "y", np.array([0.0, 1.0, 5.0]))), E.DataError, "y_obs", "got 5"),
    ("categorical-left-free", lambda: _compile(_new().rv("y", exmc.Categorical, {"p": ROWS[0]})),
     E.DistributionError, "y", "discrete"),
    ("cutpoints-not-ordered", lambda: _new().rv("y", exmc.OrderedLogistic, {"eta": 0.0, "cutpoints": np.array([1.0, 0.0])}),
     E.ParameterDomainError, "y", "'cutpoints' must be strictly increasing"),
    ("lkj-n-a-reference", lambda: _new().rv("k", exmc.HalfNormal, {"sigma": 1.0}).rv("L", exmc.LKJCholesky, {"n": "k", "eta": 1.0}),
     E.ParameterError, "L", "'n' of LKJCholesky must be a number of the model"),
    ("lkj-n-not-integer", lambda: _new().rv("L", exmc.LKJCholesky, {"n": 2.5, "eta": 1.0}),
     E.ParameterDomainError, "L", "positive integers"),
    ("lkj-shape-vs-n", lambda: _new().rv("L", exmc.LKJCholesky, {"n": 2, "eta": 1.0}, shape=(3, 3)),
     E.ShapeError, "L", r"\(3, 3\) does not match parameter 'n' = 2"),
    ("lkj-data-not-a-correlation-factor", lambda: _new().rv("L", exmc.LKJCholesky, {"n": 2, "eta": 1.0})
     .obs("L_obs", "L", np.array([[1.0, 0.0], [0.5, 0.5]])), E.DataError, "L_obs", "Cholesky factors of correlation"),
    ("zero-sum-without-shape", lambda: _compile(_new().rv("z", exmc.ZeroSumNormal, {"sigma": 1.0})),
     E.ShapeError, "z", "ZeroSumNormal needs shape="),
    ("zero-sum-data-not-summing-to-0", lambda: _new().rv("z", exmc.ZeroSumNormal, {"sigma": 1.0}, shape=3)
     .obs("z_obs", "z", np.array([1.0, 0.0, 0.0])), E.DataError, "z_obs", "summing to 0"),
    ("random-walk-without-shape", lambda: _compile(_new().rv("w", exmc.GaussianRandomWalk, {"mu": 0.0, "sigma": 1.0})),
     E.ShapeError, "w", "needs shape="),
    ("simplex-on-a-normal", lambda: _new().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3, transform="simplex"),
     E.TransformError, "x", "does not map"),
    ("ordered-on-a-scalar", lambda: _compile(_new().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, transform="ordered")),
     E.TransformError, "x", "acts on the last 1 axes"),
    ("mixture-components-disagree-with-w", lambda: _new().rv("y", exmc.NormalMixture, {
        "w": np.array([0.2, 0.3, 0.5]), "mu": np.zeros(2), "sigma": 1.0}, shape=4),
     E.ShapeError, "y", r"parameter 'mu' has components 2, parameter 'w' has 3"),
    ("mixture-w-not-summing-to-1", lambda: _new().rv("y", exmc.NormalMixture, {
        "w": np.array([0.2, 0.3]), "mu": np.zeros(2), "sigma": 1.0}), E.ParameterDomainError, "y", "'w' must sum to 1"),
    ("mixture-component-not-a-pair", lambda: _new().rv("y", exmc.Mixture, {"w": np.array([0.5, 0.5]), "components": [exmc.Normal, exmc.Normal]}),
     E.ParameterError, "y", r"components\[0\] must be a \(distribution, params dict\) pair"),
    ("mixture-mixed-supports", lambda: _new().rv("y", exmc.Mixture, {"w": np.array([0.5, 0.5]), "components": [
        (exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.Poisson, {"mu": 1.0})]}), E.ParameterError, "y", "share one support"),
    ("mixture-w-vs-components", lambda: _new().rv("y", exmc.Mixture, {"w": np.array([0.2, 0.3, 0.5]), "components": [
        (exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.Normal, {"mu": 1.0, "sigma": 1.0})]}, shape=2),
     E.ShapeError, "y", r"'w' of event shape \(3,\) does not match the 2 components"),
    ("mixture-component-bad-param", lambda: _new().rv("y", exmc.Mixture, {"w": np.array([0.5, 0.5]), "components": [
        (exmc.Normal, {"mu": 0.0, "sigma": -1.0}), (exmc.Normal, {"mu": 1.0, "sigma": 1.0})]}),
     E.ParameterDomainError, "y", r"'components\[0\].sigma' of Mixture must lie in positive numbers"),
]


@pytest.mark.parametrize("build, error, node, message", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_malformed_multivariate_model_is_rejected(build, error, node, message):
    with pytest.raises(error, match=message) as info:
        build()
    assert info.value.node == node
    assert str(info.value).startswith(f"node '{node}': ")


def test_the_table_is_large_enough():
    assert len(CASES) >= 15


def test_init_values_outside_an_event_support_are_rejected():
    ir = _new().rv("p", exmc.Dirichlet, {"a": np.ones(3)})
    model = exmc.compile_model(ir)
    with pytest.raises(E.InitializationError, match="support of Dirichlet") as info:
        model.initial_point(init_values={"p": [0.2, 0.2, 0.2]})
    assert info.value.node == "p"
