"""PSIS-LOO, WAIC and compare against ArviZ on the same log-likelihood arrays; the
pointwise log-likelihood against scipy."""

import warnings

import arviz as az
import jax
import numpy as np
import pytest
import scipy.stats as st

import exmc
from exmc.diagnostics.loo import relative_efficiency, stacking_weights

RNG = np.random.default_rng(1507)


def synthetic_trace(n_obs=30, chains=4, draws=500, spread=0.3, outlier=False, seed=0):
    """A Normal model's posterior draws and the pointwise log-likelihood they give."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n_obs)
    if outlier:
        y[0] = 9.0
    mu = y.mean() + spread * rng.normal(size=(chains, draws)) / np.sqrt(n_obs)
    sigma = np.exp(rng.normal(scale=0.03, size=(chains, draws, 1)))
    ll = st.norm.logpdf(y, mu[..., None], sigma)
    return exmc.Trace(
        posterior={"mu": mu, "sigma": sigma},
        sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)},
        observed_data={"y_obs": y},
        log_likelihood={"y_obs": ll},
    )


@pytest.mark.parametrize("scale", ["log", "negative_log", "deviance"])
def test_loo_matches_arviz(scale):
    trace = synthetic_trace()
    mine = exmc.loo(trace, scale=scale)
    ref = az.loo(trace.to_arviz(), pointwise=True, scale=scale)
    assert mine.elpd == pytest.approx(ref["elpd_loo"], rel=1e-10)
    assert mine.se == pytest.approx(ref["se"], rel=1e-10)
    assert mine.p == pytest.approx(ref["p_loo"], rel=1e-9)
    assert (mine.n_samples, mine.n_data_points) == (ref["n_samples"], ref["n_data_points"])
    np.testing.assert_allclose(mine.pareto_k, ref["pareto_k"].values, rtol=1e-10)
    np.testing.assert_allclose(mine.pointwise, ref["loo_i"].values, rtol=1e-10)
    assert mine.good_k == ref["good_k"] and not mine.warning


def test_relative_efficiency_is_arviz_s():
    trace = synthetic_trace()
    trace.posterior["mu"] = np.cumsum(trace.posterior["mu"], axis=1)  # autocorrelated: reff < 1
    trace.posterior["const"] = np.ones((4, 500))  # ArviZ counts a constant as S effective draws
    reff = relative_efficiency(trace)
    assert 0.0 < reff < 1.0
    # ArviZ's loo is a function of reff only through psis: equal loo means equal reff
    assert exmc.loo(trace).elpd == pytest.approx(az.loo(trace.to_arviz())["elpd_loo"], rel=1e-12)
    assert exmc.loo(trace).elpd == pytest.approx(exmc.loo(trace, reff=reff).elpd, rel=1e-15)


@pytest.mark.parametrize("scale", ["log", "deviance"])
def test_waic_matches_arviz(scale):
    trace = synthetic_trace(spread=0.6)
    mine = exmc.waic(trace, scale=scale)
    ref = az.waic(trace.to_arviz(), pointwise=True, scale=scale)
    assert mine.elpd == pytest.approx(ref["elpd_waic"], rel=1e-10)
    assert mine.se == pytest.approx(ref["se"], rel=1e-10)
    assert mine.p == pytest.approx(ref["p_waic"], rel=1e-10)
    np.testing.assert_allclose(mine.pointwise, ref["waic_i"].values, rtol=1e-10)


def test_an_influential_observation_warns_with_its_index_and_matches_arviz():
    trace = synthetic_trace(outlier=True, spread=1.0, draws=250)
    with pytest.warns(exmc.ModelComparisonWarning, match=r"y_obs\[0\]"):
        mine = exmc.loo(trace)
    with pytest.warns(UserWarning, match="Pareto"):
        ref = az.loo(trace.to_arviz(), pointwise=True)
    assert mine.warning and ref["warning"]
    assert mine.pareto_k[0] > mine.good_k
    assert mine.elpd == pytest.approx(ref["elpd_loo"], rel=1e-10)
    with pytest.warns(exmc.ModelComparisonWarning, match="variance"):
        assert exmc.waic(trace).warning


# ArviZ 0.23's compare calls sort_values(inplace=True), which pandas 3.1 deprecates
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.sort_values")
def test_compare_matches_arviz_and_its_weights_are_optimal():
    traces = {
        "tight": synthetic_trace(spread=0.3, seed=3),
        "loose": synthetic_trace(spread=0.6, seed=3),
        "wide": synthetic_trace(spread=2.0, seed=3),
    }
    for t in traces.values():  # the same data, different posteriors
        assert np.array_equal(t.observed_data["y_obs"], traces["tight"].observed_data["y_obs"])
    mine = exmc.compare(traces)
    ref = az.compare({k: t.to_arviz() for k, t in traces.items()})
    assert list(mine.index) == list(ref.index) and list(mine.columns) == list(ref.columns)
    numeric = ["rank", "elpd_loo", "p_loo", "elpd_diff", "se", "dse"]
    np.testing.assert_allclose(mine[numeric].to_numpy(float), ref[numeric].to_numpy(float), rtol=1e-9, atol=1e-12)
    assert list(mine["warning"]) == list(ref["warning"]) and list(mine["scale"]) == list(ref["scale"])
    # ArviZ's weights come from SLSQP (ftol 1e-6); ours must score at least as well, and agree
    pointwise = np.stack([exmc.loo(traces[k]).pointwise for k in mine.index], axis=1)

    def score(w):
        return np.sum(np.log(np.exp(pointwise) @ np.asarray(w, dtype=float)))

    assert score(mine["weight"]) >= score(ref["weight"]) - 1e-9
    np.testing.assert_allclose(mine["weight"], ref["weight"], atol=1e-3)
    assert mine["weight"].sum() == pytest.approx(1.0)


def test_stacking_weights_satisfy_the_optimality_conditions():
    # model 0 best on half the points, model 1 on the other half, model 2 never
    pointwise = RNG.normal(size=(200, 3)) * 0.1
    pointwise[:100, 0] += 1.0
    pointwise[100:, 1] += 1.0
    pointwise[:, 2] -= 2.0
    w = stacking_weights(pointwise)
    p = np.exp(pointwise)
    gradient = (p / (p @ w)[:, None]).mean(axis=0)
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0)
    np.testing.assert_allclose(gradient[w > 1e-6], 1.0, atol=1e-8)  # KKT: equal on the support
    assert w[2] < 1e-6 and gradient[2] < 1.0  # and no better off the support


def test_compare_refuses_bad_input():
    trace = synthetic_trace()
    with pytest.raises(exmc.ExmcError, match="at least two"):
        exmc.compare({"a": trace})
    with pytest.raises(exmc.SettingsError, match="ic"):
        exmc.compare({"a": trace, "b": trace}, ic="aic")
    with pytest.raises(exmc.ExmcError, match="different numbers of data points"):
        exmc.compare({"a": trace, "b": synthetic_trace(n_obs=12)})
    with pytest.raises(exmc.SettingsError, match="scale"):
        exmc.loo(trace, scale="bits")
    with pytest.raises(exmc.ExmcError, match="no log_likelihood group"):
        exmc.loo(exmc.Trace(posterior=trace.posterior, sample_stats={}))


def two_likelihood_model():
    x = np.linspace(-1, 1, 6)
    return (
        exmc.Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("b", exmc.HalfNormal, {"sigma": 1.0})
        .det("rate", lambda a: jax.numpy.exp(a + x), "a")
        .rv("y", exmc.Normal, {"mu": "a", "sigma": "b"}, shape=(2, 3))
        .rv("n", exmc.Poisson, {"mu": "rate"})
        .rv("k", exmc.Binomial, {"n": 10.0, "logit_p": "a"})
        .obs("y_obs", "y", np.array([[0.1, -0.3, 0.5], [1.2, 0.0, 0.2]]))
        .obs("n_obs", "n", np.array([0.0, 1, 1, 2, 3, 5]))
        .obs("k_obs", "k", np.array(7.0))
    ), x


def test_pointwise_log_likelihood_is_scipy_s_at_every_draw():
    ir, x = two_likelihood_model()
    a = RNG.normal(size=(2, 40))
    b = RNG.gamma(2.0, size=(2, 40))
    trace = exmc.Trace(posterior={"a": a, "b": b}, sample_stats={})
    exmc.compute_log_likelihood(trace, ir)
    ll = trace.log_likelihood
    assert set(ll) == {"y_obs", "n_obs", "k_obs"}
    y = ir["y_obs"].data
    np.testing.assert_allclose(ll["y_obs"], st.norm.logpdf(y, a[..., None, None], b[..., None, None]), rtol=1e-12)
    np.testing.assert_allclose(ll["n_obs"], st.poisson.logpmf(ir["n_obs"].data, np.exp(a[..., None] + x)), rtol=1e-10)
    np.testing.assert_allclose(ll["k_obs"], st.binom.logpmf(7, 10, 1 / (1 + np.exp(-a))), rtol=1e-10)
    assert ll["y_obs"].shape == (2, 40, 2, 3) and ll["k_obs"].shape == (2, 40)
    with pytest.raises(exmc.ExmcError, match="var_name"):
        exmc.loo(trace)
    with warnings.catch_warnings():  # 80 arbitrary draws, not a posterior: k is what it is
        warnings.simplefilter("ignore", exmc.ModelComparisonWarning)
        result = exmc.loo(trace, var_name="y_obs")
    assert result.n_data_points == 6 and result.var_name == "y_obs"


def test_pointwise_log_likelihood_compiles_once_for_any_number_of_draws(monkeypatch):
    from exmc.compile import pointwise

    ir, _ = two_likelihood_model()
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if event.endswith("backend_compile_duration") else None
    )
    monkeypatch.setattr(pointwise, "_MAX_CHUNK", 16)
    draws = {"a": RNG.normal(size=(3, 50)), "b": RNG.gamma(2.0, size=(3, 50))}
    before = len(compiles)
    chunked = pointwise.log_likelihood(ir, draws)  # 150 draws: 10 chunks of 16, the last padded
    assert len(compiles) - before == 1
    monkeypatch.setattr(pointwise, "_MAX_CHUNK", 1024)
    whole = pointwise.log_likelihood(ir, draws)
    for name in whole:
        np.testing.assert_array_equal(chunked[name], whole[name])


def test_draws_that_do_not_fit_the_model_are_named():
    ir, _ = two_likelihood_model()
    with pytest.raises(exmc.UnknownReferenceError, match="'b'"):
        exmc.compute_log_likelihood(exmc.Trace(posterior={"a": np.zeros((2, 5))}, sample_stats={}), ir)
    with pytest.raises(exmc.ShapeError, match="'a'"):
        exmc.compute_log_likelihood(
            exmc.Trace(posterior={"a": np.zeros((2, 5, 2)), "b": np.ones((2, 5))}, sample_stats={}), ir
        )


@pytest.mark.filterwarnings("ignore::exmc.ModelComparisonWarning")
def test_compare_says_which_model_has_unreliable_points():
    good, bad = synthetic_trace(spread=0.3, draws=250), synthetic_trace(outlier=True, spread=1.0, draws=250)
    with pytest.warns(exmc.ModelComparisonWarning, match=r"model 'bad': PSIS-LOO of 'y_obs'") as record:
        table = exmc.compare({"good": good, "bad": bad})
    assert record[0].filename == __file__
    assert table.loc["bad", "warning"] and not table.loc["good", "warning"]
