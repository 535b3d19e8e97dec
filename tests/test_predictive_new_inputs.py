"""Prediction at new inputs (decision 58): a linear regression with known noise fitted on x in
[0, 10], predicted at new x by ``sample_posterior_predictive(ir.set_data(...), trace)``, against
the conjugate posterior predictive in closed form; the fitted trace is left as it was."""

import copy

import jax
import numpy as np
import pytest

import exmc
from exmc import Builder

SIGMA, PRIOR_SD = 1.0, 10.0
RNG = np.random.default_rng(12)
X = np.sort(RNG.uniform(0.0, 10.0, 40))
Y = 1.5 + 0.7 * X + RNG.normal(0.0, SIGMA, X.size)
X_NEW = np.linspace(-2.0, 14.0, 9)  # a new length, and outside the fitted range


def regression():
    return (
        Builder.new_ir()
        .data("x", X)
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": PRIOR_SD})
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": PRIOR_SD})
        .det("mu", lambda a, b, x: a + b * x, ["a", "b", "x"])
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": SIGMA})
        .obs("y_obs", "y", Y)
    )


def conjugate_predictive(x_new):
    """Mean and variance of the posterior predictive at ``x_new``: (a, b) | y is Normal with
    precision X'X / s^2 + I / prior_sd^2; y* = a + b x* + e has variance x*' S x* + s^2."""
    design = np.column_stack([np.ones_like(X), X])
    cov = np.linalg.inv(design.T @ design / SIGMA**2 + np.eye(2) / PRIOR_SD**2)
    mean = cov @ design.T @ Y / SIGMA**2
    new = np.column_stack([np.ones_like(x_new), x_new])
    mu_var = np.einsum("ij,jk,ik->i", new, cov, new)
    return new @ mean, mu_var, mu_var + SIGMA**2


def snapshot(trace):
    return {g: copy.deepcopy(getattr(trace, g)) for g in exmc.trace.GROUPS} | {"attrs": copy.deepcopy(trace.attrs)}


def assert_unchanged(trace, before):
    for group, values in before.items():
        now = trace.attrs if group == "attrs" else getattr(trace, group)
        assert list(now) == list(values), group
        for k, v in values.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(now[k], v)
            else:
                assert now[k] == v, (group, k)


@pytest.fixture(scope="module")
def fitted():
    ir = regression()
    return ir, exmc.sample(ir, draws=2000, tune=800, chains=4, seed=3, progressbar=False)


@pytest.mark.slow
def test_prediction_at_new_x_equals_the_conjugate_predictive(fitted):
    ir, trace = fitted
    before = snapshot(trace)
    new = ir.set_data(x=X_NEW, y_obs=np.zeros(X_NEW.size))  # y_obs: any values of the new length
    pred = exmc.sample_posterior_predictive(new, trace, seed=0)
    assert_unchanged(trace, before)
    assert pred is not trace and trace.posterior_predictive == {}
    y = pred.posterior_predictive["y_obs"]
    mu = pred.posterior["mu"]  # the det node recomputed at the new inputs
    assert y.shape == (4, 2000, X_NEW.size) and mu.shape == (4, 2000, X_NEW.size)
    assert trace.posterior["mu"].shape == (4, 2000, X.size)
    np.testing.assert_array_equal(pred.posterior["a"], trace.posterior["a"])
    assert "log_likelihood" not in pred.groups()
    np.testing.assert_array_equal(pred.observed_data["y_obs"], np.zeros(X_NEW.size))
    assert pred.attrs["fitted_model_fingerprint"] == trace.attrs["model_fingerprint"] != pred.attrs["model_fingerprint"]

    mean, mu_var, var = conjugate_predictive(X_NEW)
    n = y.shape[0] * y.shape[1]
    for i in range(X_NEW.size):
        ess = exmc.diagnostics.ess(mu[..., i])
        assert abs(mu[..., i].mean() - mean[i]) < 5 * np.sqrt(mu_var[i] / ess)
        se = np.sqrt(mu_var[i] / ess + SIGMA**2 / n)  # mu's Monte Carlo error plus the new noise's
        assert abs(y[..., i].mean() - mean[i]) < 5 * se
        assert y[..., i].var() == pytest.approx(var[i], rel=5 * np.sqrt(2 / min(ess, n)))
        assert mu[..., i].var() == pytest.approx(mu_var[i], rel=5 * np.sqrt(2 / ess))


@pytest.mark.slow
def test_same_shapes_resample_without_compiling_and_predict(fitted):
    ir, trace = fitted
    events = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: events.append(event) if event.endswith("backend_compile_duration") else None
    )
    moved = ir.set_data(x=X + 1.0)  # the same data, read at x + 1: a moves by -b
    again = exmc.sample(moved, draws=2000, tune=800, chains=4, seed=3, progressbar=False)
    assert events == []
    shift = again.posterior["a"].mean() - trace.posterior["a"].mean()
    b = trace.posterior["b"].mean()
    assert abs(shift + b) < 5 * np.sqrt(2 * again.posterior["a"].var() / exmc.diagnostics.ess(again.posterior["a"]))
    # predicting at the fitted model itself keeps the fitted groups and adds the predictive
    pred = exmc.sample_posterior_predictive(ir, trace, seed=1)
    assert trace.posterior_predictive == {}
    assert pred.posterior["mu"] is trace.posterior["mu"]
    assert pred.posterior_predictive["y_obs"].shape == (4, 2000, X.size)
    np.testing.assert_array_equal(pred.observed_data["y_obs"], Y)


def test_prediction_needs_the_fitted_free_variables():
    ir = regression()
    trace = exmc.Trace(posterior={"a": np.zeros((1, 3))}, sample_stats={})
    with pytest.raises(exmc.UnknownReferenceError, match="'b'"):
        exmc.sample_posterior_predictive(ir.set_data(x=X_NEW, y_obs=np.zeros(9)), trace)


def test_same_draws_same_prediction_and_seed_changes_them():
    ir = regression()
    rng = np.random.default_rng(0)
    trace = exmc.Trace(posterior={"a": rng.normal(size=(2, 5)), "b": rng.normal(size=(2, 5))}, sample_stats={})
    new = ir.set_data(x=X_NEW, y_obs=np.zeros(9))
    one = exmc.sample_posterior_predictive(new, trace, seed=4).posterior_predictive["y_obs"]
    two = exmc.sample_posterior_predictive(new, trace, seed=4).posterior_predictive["y_obs"]
    three = exmc.sample_posterior_predictive(new, trace, seed=5).posterior_predictive["y_obs"]
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, three)
    mu = trace.posterior["a"][..., None] + trace.posterior["b"][..., None] * X_NEW
    assert np.abs(one - mu).max() < 6 * SIGMA


def test_a_prediction_goes_to_arviz_and_to_a_file(tmp_path):
    ir = regression()
    rng = np.random.default_rng(1)
    trace = exmc.sample(ir, draws=20, tune=20, chains=2, seed=0, progressbar=False, checks=False)
    pred = exmc.sample_posterior_predictive(ir.set_data(x=X_NEW, y_obs=np.zeros(9)), trace, seed=rng.integers(9))
    idata = pred.to_arviz()
    assert idata.posterior_predictive["y_obs"].shape == (2, 20, 9)
    assert idata.posterior["mu"].shape == (2, 20, 9)
    pred.save(tmp_path / "pred.nc")
    back = exmc.load_trace(tmp_path / "pred.nc")
    assert back.attrs == pred.attrs
    np.testing.assert_array_equal(back.posterior_predictive["y_obs"], pred.posterior_predictive["y_obs"])
