"""Run-time domains (decisions 54, 63): a parameter computed by a det node outside its domain
makes the log-density -inf at that point, never finite or NaN, for every family (multivariate,
categorical and mixture ones included), and NUTS rejects such proposals."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc.dist import CATEGORICAL, CONTINUOUS, DISCRETE, MULTIVARIATE

# family -> (valid parameters, the parameter a det node drives, its bad value, data)
CASES = {
    "Normal": (exmc.Normal, {"mu": 0.0, "sigma": 1.0}, "sigma", -1.0, [0.3, -0.2]),
    "HalfNormal": (exmc.HalfNormal, {"sigma": 1.0}, "sigma", -1.0, [0.5, 1.0]),
    "Exponential": (exmc.Exponential, {"lam": 1.0}, "lam", -1.0, [0.5, 1.0]),
    "Gamma": (exmc.Gamma, {"alpha": 2.0, "beta": 1.0}, "alpha", -1.0, [0.5, 1.0]),
    "Beta": (exmc.Beta, {"alpha": 2.0, "beta": 2.0}, "beta", -1.0, [0.3, 0.6]),
    # Uniform's bounds are any reals: lower > upper is caught by its own support test
    "Uniform": (exmc.Uniform, {"lower": 0.0, "upper": 1.0}, "upper", -5.0, [0.3, 0.6]),
    "StudentT": (exmc.StudentT, {"nu": 3.0, "mu": 0.0, "sigma": 1.0}, "nu", -1.0, [0.3, -0.2]),
    "Cauchy": (exmc.Cauchy, {"alpha": 0.0, "beta": 1.0}, "beta", -1.0, [0.3, -0.2]),
    "HalfCauchy": (exmc.HalfCauchy, {"beta": 1.0}, "beta", -1.0, [0.5, 1.0]),
    "LogNormal": (exmc.LogNormal, {"mu": 0.0, "sigma": 1.0}, "sigma", -1.0, [0.5, 1.0]),
    "InverseGamma": (exmc.InverseGamma, {"alpha": 2.0, "beta": 1.0}, "beta", -1.0, [0.5, 1.0]),
    "Weibull": (exmc.Weibull, {"alpha": 2.0, "beta": 1.0}, "alpha", -1.0, [0.5, 1.0]),
    "Laplace": (exmc.Laplace, {"mu": 0.0, "b": 1.0}, "b", -1.0, [0.3, -0.2]),
    "Logistic": (exmc.Logistic, {"mu": 0.0, "s": 1.0}, "s", -1.0, [0.3, -0.2]),
    "HalfStudentT": (exmc.HalfStudentT, {"nu": 3.0, "sigma": 1.0}, "sigma", -1.0, [0.5, 1.0]),
    "SkewNormal": (exmc.SkewNormal, {"mu": 0.0, "sigma": 1.0, "alpha": 2.0}, "sigma", -1.0, [0.3, -0.2]),
    "TruncatedNormal": (exmc.TruncatedNormal, {"mu": 0.0, "sigma": 1.0, "lower": -1.0, "upper": 2.0},
                        "sigma", -1.0, [0.3, -0.2]),
    "Bernoulli": (exmc.Bernoulli, {"p": 0.3}, "p", 1.5, [0.0, 1.0]),
    # n = 1 is a valid count, but the data hold a 2: the support's bound, checked at run time
    "Binomial": (exmc.Binomial, {"n": 5.0, "p": 0.3}, "n", 1.0, [1.0, 2.0]),
    "Poisson": (exmc.Poisson, {"mu": 2.0}, "mu", -1.0, [0.0, 2.0]),
    "NegativeBinomial": (exmc.NegativeBinomial, {"mu": 2.0, "alpha": 1.0}, "alpha", -1.0, [0.0, 2.0]),
    "BetaBinomial": (exmc.BetaBinomial, {"alpha": 2.0, "beta": 1.0, "n": 5.0}, "n", 2.5, [1.0, 2.0]),
    "Geometric": (exmc.Geometric, {"p": 0.3}, "p", 0.0, [1.0, 3.0]),
    "ZeroInflatedPoisson": (exmc.ZeroInflatedPoisson, {"psi": 0.5, "mu": 2.0}, "psi", 1.5, [0.0, 2.0]),
    "ZeroInflatedNegativeBinomial": (exmc.ZeroInflatedNegativeBinomial, {"psi": 0.5, "mu": 2.0, "alpha": 1.0},
                                     "mu", -1.0, [0.0, 2.0]),
    "Censored(Weibull)": (exmc.Censored(exmc.Weibull, upper=3.0), {"alpha": 2.0, "beta": 1.0}, "alpha", -1.0, [1.0, 3.0]),
    "Truncated(Normal)": (exmc.Truncated(exmc.Normal, lower=0.0), {"mu": 0.0, "sigma": 1.0}, "sigma", -1.0, [0.5, 1.0]),
    # a censoring time from a node, driven below the Weibull's support
    "Censored(Weibull, upper=node)": (exmc.Censored(exmc.Weibull, upper="v"), {"alpha": 2.0, "beta": 1.0},
                                      None, -1.0, [1.0, 3.0]),
}


EYE = np.eye(2)
# the multivariate, categorical and mixture families (decision 63): a det node driving a parameter
# out of its domain or out of a relation between its elements (weights summing to 1, ordered
# cutpoints, a Cholesky factor's positive diagonal, a positive definite matrix).
# name -> (family, other parameters, the parameter a det node drives, good value, bad value, data)
MULTIVARIATE_CASES = {
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
# every case as (family, other parameters, driven parameter or None, good value, bad value, data)
ALL = {
    **{name: (dist, params, param, 3.0 if param is None else params[param], bad, data)
       for name, (dist, params, param, bad, data) in CASES.items()},
    **MULTIVARIATE_CASES,
}


def _model(case, threshold):
    """u ~ Normal(0, 1); v = bad if u > threshold else good; y ~ family(..., param=v), observed."""
    dist, params, param, good, bad, data = case
    good, bad = np.asarray(good, dtype=np.float64), np.asarray(bad, dtype=np.float64)
    params = dict(params) if param is None else {**params, param: "v"}
    return (
        exmc.Builder.new_ir()
        .rv("u", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("v", lambda u: jnp.where(u > threshold, bad, good), ["u"])
        .rv("y", dist, params)
        .obs("y_obs", "y", np.asarray(data))
    )


def test_every_family_has_a_case():
    names = {case[0].__name__ for case in ALL.values()}
    assert {d.__name__ for d in CONTINUOUS + DISCRETE + MULTIVARIATE + CATEGORICAL} <= names


@pytest.mark.parametrize("name", list(ALL))
def test_a_parameter_outside_its_domain_gives_minus_inf(name):
    model = exmc.compile_model(_model(ALL[name], threshold=0.0))
    inside, outside = model.logp(np.array([-1.0])), model.logp(np.array([1.0]))
    assert np.isfinite(inside)
    assert outside == -np.inf  # never finite, never NaN


def test_a_free_variable_whose_parameter_leaves_its_domain():
    # the free branch of the compiler: x ~ Gamma(alpha=v) with v < 0 past u = 0
    ir = (
        exmc.Builder.new_ir()
        .rv("u", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("v", lambda u: jnp.where(u > 0.0, -1.0, 2.0), ["u"])
        .rv("x", exmc.Gamma, {"alpha": "v", "beta": 1.0})
    )
    model = exmc.compile_model(ir)
    assert np.isfinite(model.logp(np.array([-1.0, 0.3])))
    assert model.logp(np.array([1.0, 0.3])) == -np.inf


def test_the_poisson_hack_of_the_issue_is_no_longer_finite():
    # Poisson(mu = -f) observed at 0 used to add f to the log-density
    ir = (
        exmc.Builder.new_ir()
        .rv("f", exmc.HalfNormal, {"sigma": 1.0})
        .det("minus_f", lambda f: -f, ["f"])
        .rv("y", exmc.Poisson, {"mu": "minus_f"})
        .obs("y_obs", "y", np.zeros(3))
    )
    assert exmc.compile_model(ir).logp(np.array([0.0])) == -np.inf


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::exmc.SamplingWarning")
@pytest.mark.parametrize("name", list(ALL))
def test_nuts_rejects_proposals_outside_the_domain(name):
    # 16% of u's prior lies past 1: NUTS proposes there often and must never accept it
    trace = exmc.sample(_model(ALL[name], threshold=1.0), draws=200, tune=200, chains=2, seed=3, progressbar=False)
    u = trace.posterior["u"]
    assert u.shape == (2, 200)  # every draw counted
    assert np.all(np.isfinite(u)) and np.all(np.isfinite(trace.sample_stats["lp"]))
    assert np.all(u <= 1.0)
