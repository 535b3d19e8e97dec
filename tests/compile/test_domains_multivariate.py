"""Run-time domains (decisions 54, 63) for the families tests/compile/test_domains.py leaves
out: the multivariate, categorical and mixture families. A det node driving a parameter out
of its domain, or out of a relation between its elements (weights summing to 1, ordered
cutpoints, a Cholesky factor's positive diagonal, a positive definite matrix), makes the
log-density -inf at that point, never finite or NaN, and NUTS rejects the proposal."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc.dist import CATEGORICAL, MULTIVARIATE

EYE = np.eye(2)
# name -> (family, other parameters, the parameter a det node drives, good value, bad value, data)
CASES = {
    "MvNormal-chol-diagonal": (exmc.MvNormal, {"mu": np.zeros(2)}, "chol", EYE, np.array([[1.0, 0.0], [0.5, -1.0]]),
                               [[0.3, -0.2]]),
    "MvNormal-cov-not-pd": (exmc.MvNormal, {"mu": np.zeros(2)}, "cov", EYE, np.array([[1.0, 2.0], [2.0, 1.0]]),
                            [[0.3, -0.2]]),
    "MvNormal-tau-negative": (exmc.MvNormal, {"mu": np.zeros(2)}, "tau", EYE, -EYE, [[0.3, -0.2]]),
    "LKJCholesky-eta": (exmc.LKJCholesky, {"n": 2.0}, "eta", 2.0, -1.0, [[[1.0, 0.0], [0.6, 0.8]]]),
    "Dirichlet-a": (exmc.Dirichlet, {}, "a", np.ones(3), np.array([1.0, -1.0, 1.0]), [[0.2, 0.3, 0.5]]),
    "ZeroSumNormal-sigma": (exmc.ZeroSumNormal, {}, "sigma", 1.0, -1.0, [[0.5, -0.5]]),
    "GaussianRandomWalk-sigma": (exmc.GaussianRandomWalk, {"mu": 0.0}, "sigma", 1.0, -1.0, [[0.1, 0.3, 0.2]]),
    "NormalMixture-sigma": (exmc.NormalMixture, {"w": np.array([0.4, 0.6]), "mu": np.array([-1.0, 1.0])}, "sigma",
                            np.ones(2), np.array([1.0, -1.0]), [0.3, -0.2]),
    "NormalMixture-w-sum": (exmc.NormalMixture, {"mu": np.array([-1.0, 1.0]), "sigma": np.ones(2)}, "w",
                            np.array([0.4, 0.6]), np.array([0.4, 0.4]), [0.3, -0.2]),
    "Mixture-w-sum": (exmc.Mixture, {"components": [(exmc.Normal, {"mu": -1.0, "sigma": 1.0}),
                                                    (exmc.Normal, {"mu": 1.0, "sigma": 1.0})]}, "w",
                      np.array([0.4, 0.6]), np.array([0.9, 0.9]), [0.3, -0.2]),
    "Categorical-p-range": (exmc.Categorical, {}, "p", np.array([0.3, 0.7]), np.array([1.5, -0.5]), [0.0, 1.0]),
    "Categorical-p-sum": (exmc.Categorical, {}, "p", np.array([0.3, 0.7]), np.array([0.3, 0.3]), [0.0, 1.0]),
    "OrderedLogistic-cutpoints": (exmc.OrderedLogistic, {"eta": 0.0}, "cutpoints", np.array([-1.0, 1.0]),
                                  np.array([1.0, -1.0]), [0.0, 2.0]),
    "Multinomial-p-sum": (exmc.Multinomial, {"n": 3.0}, "p", np.array([0.3, 0.7]), np.array([0.5, 0.7]), [[1.0, 2.0]]),
}


def _model(case, threshold):
    """u ~ Normal(0, 1); v = bad if u > threshold else good; y ~ family(..., param=v), observed."""
    dist, params, param, good, bad, data = case
    good, bad = np.asarray(good, dtype=np.float64), np.asarray(bad, dtype=np.float64)
    return (
        exmc.Builder.new_ir()
        .rv("u", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("v", lambda u: jnp.where(u > threshold, bad, good), ["u"])
        .rv("y", dist, {**params, param: "v"})
        .obs("y_obs", "y", np.asarray(data))
    )


def test_every_multivariate_and_categorical_family_has_a_case():
    names = {case[0].__name__ for case in CASES.values()}
    assert {d.__name__ for d in MULTIVARIATE + CATEGORICAL} <= names


@pytest.mark.parametrize("name", list(CASES))
def test_a_parameter_outside_its_domain_gives_minus_inf(name):
    model = exmc.compile_model(_model(CASES[name], threshold=0.0))
    inside, outside = model.logp(np.array([-1.0])), model.logp(np.array([1.0]))
    assert np.isfinite(inside)
    assert outside == -np.inf  # never finite, never NaN


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::exmc.SamplingWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_nuts_rejects_proposals_outside_the_domain(name):
    # 16% of u's prior lies past 1: NUTS proposes there often and must never accept it
    trace = exmc.sample(_model(CASES[name], threshold=1.0), draws=200, tune=200, chains=2, seed=3, progressbar=False)
    u = trace.posterior["u"]
    assert u.shape == (2, 200)  # every draw counted
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(trace.sample_stats["lp"]))
    assert np.all(u <= 1.0)
