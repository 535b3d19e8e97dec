"""The issue's acceptance check: comparing eight schools centered / non-centered, and two
regression models, by LOO gives ArviZ's numbers on the same arrays (real NUTS runs)."""

import warnings

import arviz as az
import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc.demo import eight_schools

pytestmark = [
    pytest.mark.slow,
    # the centered eight schools diverges, as it should: this file is about LOO
    pytest.mark.filterwarnings("ignore::exmc.SamplingWarning"),
    # ArviZ 0.23's compare calls sort_values(inplace=True), which pandas 3.1 deprecates
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.sort_values"),
]

SETTINGS = dict(draws=1000, tune=1000, chains=4, progressbar=False)
COLUMNS = ["rank", "elpd_loo", "p_loo", "elpd_diff", "se", "dse"]


def regression_data():
    rng = np.random.default_rng(12)
    x = np.linspace(-2.0, 2.0, 40)
    y = 1.0 + 0.8 * x + 0.5 * x**2 + rng.normal(scale=0.7, size=x.size)
    return x, y


def regression(x, y, quadratic: bool):
    ir = (
        exmc.Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
    )
    if quadratic:
        ir = ir.rv("c", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        ir = ir.det("mean", lambda a, b, c: a + b * x + c * jnp.asarray(x) ** 2, ["a", "b", "c"])
    else:
        ir = ir.det("mean", lambda a, b: a + b * x, ["a", "b"])
    return ir.rv("y", exmc.Normal, {"mu": "mean", "sigma": "sigma"}).obs("y_obs", "y", y)


def compare_both(models):
    with warnings.catch_warnings(record=True) as mine_warned:
        warnings.simplefilter("always")
        mine = exmc.compare({k: (t, ir) for k, (t, ir) in models.items()})
    with warnings.catch_warnings(record=True) as arviz_warned:
        warnings.simplefilter("always")
        ref = az.compare({k: t.to_arviz() for k, (t, _) in models.items()})
    pareto = [w for w in mine_warned if issubclass(w.category, exmc.ModelComparisonWarning)]
    assert bool(pareto) == bool([w for w in arviz_warned if "Pareto" in str(w.message)])
    return mine, ref


def assert_same_table(mine, ref, models):
    assert list(mine.index) == list(ref.index)
    np.testing.assert_allclose(mine[COLUMNS].to_numpy(float), ref[COLUMNS].to_numpy(float), rtol=1e-9, atol=1e-12)
    assert list(mine["warning"]) == list(ref["warning"])
    assert_optimal_weights(mine, ref, models)
    for name in mine.index:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = exmc.loo(models[name][0]), az.loo(models[name][0].to_arviz(), pointwise=True)
        np.testing.assert_allclose(ours.pareto_k, theirs["pareto_k"].values, rtol=1e-10)


def assert_optimal_weights(mine, ref, models):
    """The stacking weights maximise sum_i log sum_k w_k exp(elpd_ik) on the simplex: checked by
    the KKT conditions on ArviZ's pointwise ELPD (the mean over points of exp(elpd_ik) / the
    mixture's is 1 for a model with weight, at most 1 for one without), and against ArviZ's
    weights through the objective they reach. ArviZ's SLSQP stops at ftol 1e-6: where the
    objective is flat (two nearly equal models) its weights can be 1e-3 or more from the
    optimum, so ours must reach an objective at least as high, and equal its weights to 1e-3
    only where its objective is as high as ours."""
    names = list(mine.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pareto k: compare_both checked the warnings
        elpd = np.stack([az.loo(models[n][0].to_arviz(), pointwise=True)["loo_i"].values for n in names], axis=1)
    p = np.exp(elpd - elpd.max(axis=1, keepdims=True))
    ours, theirs = mine.loc[names, "weight"].to_numpy(float), ref.loc[names, "weight"].to_numpy(float)
    gradient = (p / (p @ ours)[:, None]).mean(axis=0)
    np.testing.assert_allclose(gradient[ours > 1e-9], 1.0, atol=1e-6)
    assert np.all(gradient <= 1.0 + 1e-6)
    objective_ours, objective_theirs = np.sum(np.log(p @ ours)), np.sum(np.log(p @ theirs))
    assert objective_ours >= objective_theirs - 1e-12 * len(p), (objective_ours, objective_theirs)
    if objective_ours - objective_theirs < 1e-12 * len(p):
        np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_eight_schools_centered_against_non_centered():
    ir = eight_schools()
    models = {
        "non-centered": (exmc.sample(ir, seed=1, noncenter=True, **SETTINGS), ir),
        "centered": (exmc.sample(ir, seed=1, noncenter=False, **SETTINGS), ir),
    }
    assert models["non-centered"][0].rewrites and not models["centered"][0].rewrites
    mine, ref = compare_both(models)
    assert_same_table(mine, ref, models)
    # the two are the same model: their LOO agree within the standard error of the difference
    assert abs(mine["elpd_diff"].iloc[1]) < 2.0 + 2 * mine["dse"].iloc[1]


def test_two_regression_models():
    x, y = regression_data()
    models = {
        "linear": (exmc.sample(regression(x, y, False), seed=2, **SETTINGS), regression(x, y, False)),
        "quadratic": (exmc.sample(regression(x, y, True), seed=2, **SETTINGS), regression(x, y, True)),
    }
    mine, ref = compare_both(models)
    assert_same_table(mine, ref, models)
    # the data are quadratic: the quadratic model wins, by more than twice the difference's se
    assert mine.index[0] == "quadratic" and mine["elpd_diff"].iloc[1] > 2 * mine["dse"].iloc[1]
