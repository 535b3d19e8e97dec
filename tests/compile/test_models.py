"""Compiled log-densities against independent hand-written ones (issue 2, acceptance 2).

Each hand-written density takes the unconstrained values by name, applies the transforms
itself, adds their log-Jacobians, and uses ``jax.scipy.stats`` or plain ``jax.numpy``, never
Exmc's distributions. The compiled density must differ from it by a constant, within 1e-9
relative, at 50 random points; the gradients must agree too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import jax.scipy.stats as st
import numpy as np
import pytest

import exmc
from exmc import Builder

RNG = np.random.default_rng(20261124)


def log_t(y):
    """exp transform: value and log-Jacobian."""
    return jnp.exp(y), y


def logit_t(y):
    x = 1.0 / (1.0 + jnp.exp(-y))
    return x, jnp.log(x) + jnp.log1p(-x)


def interval_t(y, lower, upper):
    s = 1.0 / (1.0 + jnp.exp(-y))
    return lower + (upper - lower) * s, jnp.log(upper - lower) + jnp.log(s) + jnp.log1p(-s)


@dataclass
class Case:
    ir: exmc.IR
    hand: Callable  # dict of unconstrained values by name -> log-density
    noncenter: bool = True


def readme_model() -> Case:
    data = np.array([2.1, 1.8, 2.5])
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("x_obs", "x", data)
    )

    def hand(u):
        sigma, jac = log_t(u["sigma"])
        return (
            st.norm.logpdf(u["mu"], 0.0, 5.0)
            + jnp.log(2.0) + st.norm.logpdf(sigma, 0.0, 2.0) + jac
            + jnp.sum(st.norm.logpdf(data, u["mu"], sigma))
        )

    return Case(ir, hand)


def _hierarchical_ir() -> exmc.IR:
    y = np.array([1.2, -0.4, 2.3])
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 3.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.5})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=3)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": np.array([0.5, 1.0, 2.0])})
        .obs("y_obs", "y", y)
    ), y


def hierarchical_centered() -> Case:
    ir, y = _hierarchical_ir()

    def hand(u):
        tau, jac = log_t(u["tau"])
        return (
            st.norm.logpdf(u["mu"], 0.0, 3.0)
            + jnp.log(2.0) + st.norm.logpdf(tau, 0.0, 1.5) + jac
            + jnp.sum(st.norm.logpdf(u["theta"], u["mu"], tau))
            + jnp.sum(st.norm.logpdf(y, u["theta"], jnp.array([0.5, 1.0, 2.0])))
        )

    return Case(ir, hand, noncenter=False)


def hierarchical_noncentered() -> Case:
    ir, y = _hierarchical_ir()

    def hand(u):
        tau, jac = log_t(u["tau"])
        theta = u["mu"] + tau * u["theta_raw"]
        return (
            st.norm.logpdf(u["mu"], 0.0, 3.0)
            + jnp.log(2.0) + st.norm.logpdf(tau, 0.0, 1.5) + jac
            + jnp.sum(st.norm.logpdf(u["theta_raw"], 0.0, 1.0))
            + jnp.sum(st.norm.logpdf(y, theta, jnp.array([0.5, 1.0, 2.0])))
        )

    return Case(ir, hand)


def linear_regression() -> Case:
    X = RNG.normal(size=(20, 2))
    y = 1.0 + X @ np.array([0.5, -1.5]) + RNG.normal(scale=0.3, size=20)
    ir = (
        Builder.new_ir()
        .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 10.0})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 10.0}, shape=2)
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .det("mu", lambda a, b: a + jnp.asarray(X) @ b, ["alpha", "beta"])
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )

    def hand(u):
        sigma, jac = log_t(u["sigma"])
        mu = u["alpha"] + X @ u["beta"]
        return (
            st.norm.logpdf(u["alpha"], 0.0, 10.0)
            + jnp.sum(st.norm.logpdf(u["beta"], 0.0, 10.0))
            + jnp.log(2.0) + st.norm.logpdf(sigma, 0.0, 1.0) + jac
            + jnp.sum(st.norm.logpdf(y, mu, sigma))
        )

    return Case(ir, hand)


def logistic_regression() -> Case:
    X = RNG.normal(size=(40, 3))
    y = (RNG.uniform(size=40) < 1 / (1 + np.exp(-(X @ np.array([1.0, -2.0, 0.5]))))).astype(float)
    ir = (
        Builder.new_ir()
        .rv("intercept", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=3)
        .det("eta", lambda a, b: a + jnp.asarray(X) @ b, ["intercept", "beta"])
        .rv("y", exmc.Bernoulli, {"logit_p": "eta"})
        .obs("y_obs", "y", y)
    )

    def hand(u):
        eta = u["intercept"] + X @ u["beta"]
        # log p(y) = y*eta - log(1 + e^eta)
        loglik = y * eta - jnp.logaddexp(0.0, eta)
        return (
            st.norm.logpdf(u["intercept"], 0.0, 2.5)
            + jnp.sum(st.norm.logpdf(u["beta"], 0.0, 2.5))
            + jnp.sum(loglik)
        )

    return Case(ir, hand)


def poisson_glm() -> Case:
    x = np.linspace(-1, 1, 30)
    counts = RNG.poisson(np.exp(0.5 + 0.8 * x)).astype(float)
    ir = (
        Builder.new_ir()
        .rv("b0", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
        .rv("b1", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
        .det("rate", lambda a, b: jnp.exp(a + b * jnp.asarray(x)), ["b0", "b1"])
        .rv("y", exmc.Poisson, {"mu": "rate"})
        .obs("y_obs", "y", counts)
    )

    def hand(u):
        rate = jnp.exp(u["b0"] + u["b1"] * x)
        return (
            st.norm.logpdf(u["b0"], 0.0, 2.0)
            + st.norm.logpdf(u["b1"], 0.0, 2.0)
            + jnp.sum(st.poisson.logpmf(counts, rate))
        )

    return Case(ir, hand)


def studentt_regression() -> Case:
    x = np.linspace(0, 1, 25)
    y = 2.0 - x + 0.2 * RNG.standard_t(3, size=25)
    ir = (
        Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("nu", exmc.Gamma, {"alpha": 2.0, "beta": 0.1})
        .rv("sigma", exmc.HalfCauchy, {"beta": 1.0})
        .det("mu", lambda a, b: a + b * jnp.asarray(x), ["a", "b"])
        .rv("y", exmc.StudentT, {"nu": "nu", "mu": "mu", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )

    def hand(u):
        nu, jac_nu = log_t(u["nu"])
        sigma, jac_s = log_t(u["sigma"])
        mu = u["a"] + u["b"] * x
        return (
            st.norm.logpdf(u["a"], 0.0, 5.0)
            + st.norm.logpdf(u["b"], 0.0, 5.0)
            + st.gamma.logpdf(nu, 2.0, scale=10.0) + jac_nu
            + st.cauchy.logpdf(sigma, 0.0, 1.0) + jnp.log(2.0) + jac_s
            + jnp.sum(st.t.logpdf(y, nu, mu, sigma))
        )

    return Case(ir, hand)


def gamma_beta_priors() -> Case:
    successes = np.array([3.0, 7.0, 12.0])
    waits = np.array([0.4, 1.3, 0.2, 2.2])
    ir = (
        Builder.new_ir()
        .rv("p", exmc.Beta, {"alpha": 2.0, "beta": 3.0})
        .rv("k", exmc.Gamma, {"alpha": 3.0, "beta": 2.0})
        .rv("rate", exmc.Exponential, {"lam": 1.5})
        .rv("u", exmc.Uniform, {"lower": 0.0, "upper": "k"})
        .rv("ln", exmc.LogNormal, {"mu": 0.3, "sigma": 0.7})
        .rv("c", exmc.Cauchy, {"alpha": 1.0, "beta": "u"})
        .rv("s", exmc.Binomial, {"n": 20.0, "p": "p"})
        .obs("s_obs", "s", successes)
        .rv("w", exmc.Gamma, {"alpha": "k", "beta": "rate"})
        .obs("w_obs", "w", waits)
    )

    def hand(u):
        p, jac_p = logit_t(u["p"])
        k, jac_k = log_t(u["k"])
        rate, jac_r = log_t(u["rate"])
        uu, jac_u = interval_t(u["u"], 0.0, k)
        ln, jac_ln = log_t(u["ln"])
        return (
            st.beta.logpdf(p, 2.0, 3.0) + jac_p
            + st.gamma.logpdf(k, 3.0, scale=0.5) + jac_k
            + st.expon.logpdf(rate, scale=1 / 1.5) + jac_r
            + st.uniform.logpdf(uu, 0.0, k) + jac_u
            + st.norm.logpdf(jnp.log(ln), 0.3, 0.7) - jnp.log(ln) + jac_ln
            + st.cauchy.logpdf(u["c"], 1.0, uu)
            + jnp.sum(st.binom.logpmf(successes, 20, p))
            + jnp.sum(st.gamma.logpdf(waits, k, scale=1.0 / rate))
        )

    return Case(ir, hand)


CASES = {
    "readme": readme_model,
    "hierarchical_centered": hierarchical_centered,
    "hierarchical_noncentered": hierarchical_noncentered,
    "linear_regression_det": linear_regression,
    "logistic_regression": logistic_regression,
    "poisson_glm": poisson_glm,
    "studentt_regression": studentt_regression,
    "gamma_beta_priors": gamma_beta_priors,
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_logp_matches_hand_written_up_to_a_constant(make, x64):
    case = make()
    model = exmc.compile_model(case.ir, noncenter=case.noncenter)
    points = RNG.normal(scale=1.5, size=(50, model.dim))
    hand_logp = jax.jit(lambda flat: case.hand(model.layout.unflatten(flat)))
    compiled = np.array([model.logp(p) for p in points])
    expected = np.array([float(hand_logp(jnp.asarray(p))) for p in points])
    assert np.all(np.isfinite(expected))
    offset = compiled - expected
    np.testing.assert_allclose(offset - offset[0], 0.0, atol=0.0 + 1e-9 * np.max(np.abs(expected)))
    for p, value in zip(points, expected):
        assert abs(model.logp(p) - offset[0] - value) <= 1e-9 * max(1.0, abs(value))


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_gradient_matches_hand_written(make, x64):
    case = make()
    model = exmc.compile_model(case.ir, noncenter=case.noncenter)
    hand_grad = jax.jit(jax.grad(lambda flat: case.hand(model.layout.unflatten(flat))))
    for p in RNG.normal(scale=1.5, size=(10, model.dim)):
        _, grad = model.logp_and_grad(p)
        np.testing.assert_allclose(grad, np.asarray(hand_grad(jnp.asarray(p))), rtol=1e-9, atol=1e-9)


def test_free_parameters_follow_the_documented_layout():
    model = exmc.compile_model(gamma_beta_priors().ir)
    assert model.free_rvs == ("p", "k", "rate", "u", "ln", "c")
    assert model.dim == 6
    model = exmc.compile_model(linear_regression().ir)
    assert [(b.name, b.offset, b.size) for b in model.layout.blocks] == [
        ("alpha", 0, 1), ("beta", 1, 2), ("sigma", 3, 1)
    ]


def test_to_constrained_reports_rv_and_det_values_by_name():
    case = linear_regression()
    model = exmc.compile_model(case.ir)
    flat = np.array([0.5, 1.0, -2.0, np.log(0.7)])
    values = model.to_constrained(flat)
    assert set(values) == {"alpha", "beta", "sigma", "mu"}
    np.testing.assert_allclose(values["sigma"], 0.7, rtol=1e-15)
    np.testing.assert_allclose(values["beta"], [1.0, -2.0])
    assert values["mu"].shape == (20,)


def test_logp_rejects_a_vector_of_the_wrong_length():
    model = exmc.compile_model(readme_model().ir)
    with pytest.raises(exmc.ShapeError, match=r"shape \(2,\)"):
        model.logp(np.zeros(3))


def test_user_jax_precision_is_left_alone():
    model = exmc.compile_model(readme_model().ir)
    model.logp(np.zeros(2))
    assert jnp.ones(1).dtype == jnp.float32  # Exmc computed in float64 without changing the user's config
    assert isinstance(model.logp(np.zeros(2)), float)


def test_a_det_function_still_runs_in_the_users_float32_after_exmc_checked_it():
    offset = np.ones(8)

    def shift(b):
        return b + offset

    ir = (
        exmc.Builder.new_ir()
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("shifted", shift, ["b"])
    )
    exmc.compile_model(ir)  # checks the det node's shapes with jax.eval_shape, in float64
    out = jax.jit(shift)(jnp.float32(1.0))
    assert out.dtype == jnp.float32 and out.shape == (8,)

