"""exmc.summary against arviz.summary on the same draws (round_to="none"), and its rows."""

import arviz as az
import numpy as np
import pandas as pd
import pytest

import exmc
from exmc.diagnostics.summary import summary

RNG = np.random.default_rng(7)
DRAWS = {
    "mu": RNG.normal(size=(4, 600)),
    "theta": np.cumsum(RNG.normal(size=(4, 600, 3)), axis=1) / 25,  # slow mixing: R-hat well above 1
    "L": RNG.exponential(size=(4, 600, 2, 2)),
    "k": RNG.poisson(3.0, size=(4, 600)).astype(float),  # ties
}
COLUMNS = ["mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]


def reference(draws, **kwargs):
    return az.summary(az.from_dict(posterior=draws), round_to="none", **kwargs)


def test_summary_equals_arviz_on_the_same_draws():
    mine, theirs = summary(DRAWS), reference(DRAWS)
    assert list(mine.columns) == COLUMNS == list(theirs.columns)
    assert list(mine.index) == list(theirs.index)
    assert "theta[2]" in mine.index and "L[1, 0]" in mine.index
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-6, atol=1e-12)
    # far tighter in fact; 1e-6 is the bar
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("chains, draws", [(2, 7), (3, 301), (1, 400)])
def test_summary_equals_arviz_for_short_odd_and_single_chains(chains, draws):
    x = {"a": RNG.normal(size=(chains, draws)), "b": RNG.gamma(2.0, size=(chains, draws, 2))}
    mine, theirs = summary(x), reference(x)
    if chains == 1:  # ArviZ gives no R-hat for one chain; Exmc splits it, as Stan does
        assert mine["r_hat"].notna().all() and theirs["r_hat"].isna().all()
        mine, theirs = mine.drop(columns="r_hat"), theirs.drop(columns="r_hat")
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-10)


def test_other_hdi_probabilities_name_their_columns_as_arviz():
    mine, theirs = summary(DRAWS, hdi_prob=0.9), reference(DRAWS, hdi_prob=0.9)
    assert list(mine.columns[2:4]) == ["hdi_5%", "hdi_95%"] == list(theirs.columns[2:4])
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-10)


def test_a_trace_is_summarised_without_the_auxiliary_variables():
    trace = exmc.Trace(
        posterior={"tau": DRAWS["mu"] ** 2, "theta": DRAWS["theta"], "theta_raw": DRAWS["theta"] * 2},
        sample_stats={"diverging": np.zeros((4, 600), dtype=bool)},
        auxiliary={"theta_raw": "theta"},
    )
    table = exmc.summary(trace)
    assert list(table.index) == ["tau", "theta[0]", "theta[1]", "theta[2]"]
    assert list(exmc.summary(trace, var_names=["theta_raw"]).index)[0] == "theta_raw[0]"
    assert list(exmc.summary(trace, var_names="tau").index) == ["tau"]
    assert isinstance(table, pd.DataFrame)


def test_problems_with_the_arguments_are_exmc_errors():
    trace = exmc.Trace(posterior={"mu": DRAWS["mu"]}, sample_stats={})
    with pytest.raises(exmc.UnknownReferenceError, match="'sigma'"):
        exmc.summary(trace, var_names=["sigma"])
    with pytest.raises(exmc.SettingsError, match="hdi_prob"):
        exmc.summary(trace, hdi_prob=1.5)
    with pytest.raises(exmc.ExmcError, match="no posterior"):
        exmc.summary(exmc.Trace(posterior={}, sample_stats={}))
    with pytest.raises(exmc.ShapeError, match="'x'"):
        exmc.summary({"x": np.zeros(5)})


def test_non_finite_or_constant_quantities_get_nan_diagnostics_not_an_error():
    x = {"c": np.full((2, 50), 1.5), "bad": RNG.normal(size=(2, 50))}
    x["bad"][0, 3] = np.inf
    table = exmc.summary(x)
    assert table.loc["c", "mean"] == 1.5 and table.loc["c", "sd"] == 0.0
    assert table.loc[["c", "bad"], ["ess_bulk", "ess_tail", "r_hat", "mcse_mean"]].isna().all().all()


def test_prior_draws_are_summarised_from_the_prior_group():
    ir = exmc.Builder.new_ir().rv("s", exmc.HalfNormal, {"sigma": 2.0}, shape=2)
    prior = exmc.sample_prior_predictive(ir, draws=800, seed=0)
    table = exmc.summary(prior, group="prior")
    assert list(table.index) == ["s[0]", "s[1]"]
    np.testing.assert_allclose(
        table.to_numpy(), reference({"s": prior.prior["s"]}).drop(columns="r_hat").assign(r_hat=table["r_hat"]).to_numpy(),
        rtol=1e-10,
    )
    with pytest.raises(exmc.SettingsError, match="group"):
        exmc.summary(prior, group="warmup")
