"""The Trace: its groups, ArviZ's InferenceData, an exact netCDF round trip, concat."""

import arviz as az
import numpy as np
import pytest

import exmc
from exmc.demo import eight_schools

IR = eight_schools()


@pytest.fixture(scope="module")
def full_trace():
    """A real run (rewritten: theta is a det node, theta_raw auxiliary) with every group."""
    trace = exmc.sample(IR, draws=60, tune=40, chains=2, seed=3, progressbar=False)
    exmc.compute_log_likelihood(trace, IR)
    trace = exmc.sample_posterior_predictive(IR, trace, seed=1)
    prior = exmc.sample_prior_predictive(IR, draws=60, seed=2)
    trace.prior, trace.prior_predictive = prior.prior, prior.prior_predictive
    return trace


def assert_same_trace(a: exmc.Trace, b: exmc.Trace):
    assert a.groups() == b.groups()
    for group in a.groups():
        x, y = getattr(a, group), getattr(b, group)
        assert list(x) == list(y), group
        for name in x:
            assert x[name].dtype == y[name].dtype and x[name].shape == y[name].shape, (group, name)
            np.testing.assert_array_equal(x[name], y[name])
    assert a.rewrites == b.rewrites and a.auxiliary == b.auxiliary and a.attrs == b.attrs


def test_the_trace_holds_every_group(full_trace):
    assert full_trace.groups() == [
        "posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats", "log_likelihood",
        "prior", "prior_predictive", "posterior_predictive", "observed_data",
    ]
    assert full_trace.posterior["theta"].shape == (2, 60, 8) and full_trace.posterior["mu"].shape == (2, 60)
    assert full_trace.log_likelihood["y_obs"].shape == (2, 60, 8)
    assert full_trace.posterior_predictive["y_obs"].shape == (2, 60, 8)
    assert full_trace.prior["tau"].shape == (1, 60) and full_trace.prior_predictive["y_obs"].shape == (1, 60, 8)
    assert full_trace.warmup_posterior["theta"].shape == (2, 40, 8)
    assert "groups=[log_likelihood, prior, posterior_predictive]" in repr(full_trace)


def test_save_and_load_round_trip_exactly(full_trace, tmp_path):
    full_trace.save(tmp_path / "trace.nc")
    loaded = exmc.load_trace(tmp_path / "trace.nc")
    assert_same_trace(full_trace, loaded)
    assert loaded.sample_stats["diverging"].dtype == np.bool_
    assert loaded.sample_stats["tree_depth"].dtype == np.int32
    assert loaded.rewrites[0].node == "theta" and loaded.auxiliary == {"theta_raw": "theta"}


def test_a_synthetic_trace_of_odd_dtypes_shapes_and_values_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 5, 2, 2))
    values[0, 0, 0, 0] = np.nan
    values[1, 2, 1, 1] = -np.inf
    trace = exmc.Trace(
        posterior={"m": values, "s": rng.exponential(size=(3, 5)).astype(np.float32), "k": np.arange(15).reshape(3, 5)},
        sample_stats={"diverging": rng.uniform(size=(3, 5)) < 0.3, "tree_depth": np.full((3, 5), 4, dtype=np.int32)},
        warmup_posterior={"m": np.zeros((3, 0, 2, 2)), "s": np.zeros((3, 0), np.float32), "k": np.zeros((3, 0), int)},
        observed_data={"y": np.array([1.0, 2.5]), "scalar": np.array(3.0)},
        attrs={"seed": 1, "note": "text", "flag": True, "x": 0.1 + 0.2, "none": None, "list": [1, 2]},
    )
    trace.save(tmp_path / "odd.nc")
    assert_same_trace(trace, exmc.load_trace(tmp_path / "odd.nc"))


def test_the_file_is_arviz_s_inference_data_layout(full_trace, tmp_path):
    full_trace.save(tmp_path / "trace.nc")
    idata = az.from_netcdf(tmp_path / "trace.nc")
    assert "posterior_predictive" in idata.groups() and "acceptance_rate" in idata.sample_stats


def test_to_arviz_has_the_standard_groups_and_names(full_trace):
    idata = full_trace.to_arviz()
    assert set(idata.groups()) == {
        "posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats", "observed_data",
        "log_likelihood", "prior", "prior_predictive", "posterior_predictive",
    }
    assert set(idata.sample_stats.data_vars) == {
        "diverging", "energy", "step_size", "tree_depth", "n_steps", "lp", "acceptance_rate"
    }
    assert "theta_raw" not in idata.posterior and "theta_raw" in full_trace.to_arviz(auxiliary=True).posterior
    np.testing.assert_array_equal(idata.posterior["theta"].values, full_trace.posterior["theta"])
    assert idata.sample_stats["diverging"].dtype == bool
    assert idata.observed_data["y_obs"].dims == idata.log_likelihood["y_obs"].dims[2:]


def test_arviz_summary_and_loo_work_on_it_and_agree_with_exmc(full_trace):
    idata = full_trace.to_arviz()
    np.testing.assert_allclose(
        exmc.summary(full_trace).to_numpy(), az.summary(idata, round_to="none").to_numpy(), rtol=1e-10
    )
    with pytest.warns(UserWarning):  # 120 draws: some Pareto k is high, both say so
        ref = az.loo(idata)
        mine = exmc.loo(full_trace)
    assert mine.elpd == pytest.approx(ref["elpd_loo"], rel=1e-10)


def test_concat_by_chain_and_by_draw(full_trace):
    a, b = full_trace, exmc.sample(IR, draws=60, tune=40, chains=2, seed=4, progressbar=False)
    exmc.compute_log_likelihood(b, IR)
    b = exmc.sample_posterior_predictive(IR, b, seed=1)
    b.prior, b.prior_predictive = a.prior, a.prior_predictive
    chains = exmc.concat(a, b, dim="chain")
    assert chains.n_chains == 4 and chains.posterior["theta"].shape == (4, 60, 8)
    np.testing.assert_array_equal(chains.posterior["theta"][2:], b.posterior["theta"])
    np.testing.assert_array_equal(chains.sample_stats["diverging"][:2], a.sample_stats["diverging"])
    assert chains.attrs["seed"] == [3, 4] and chains.attrs["tune"] == 40
    draws = exmc.concat(a, b, dim="draw")
    assert draws.n_draws == 120 and draws.log_likelihood["y_obs"].shape == (2, 120, 8)
    np.testing.assert_array_equal(draws.posterior["mu"][:, 60:], b.posterior["mu"])
    assert draws.prior["mu"].shape == (1, 120)


def test_concat_refuses_traces_that_do_not_fit(full_trace):
    other = exmc.sample(IR, draws=30, tune=40, chains=2, seed=4, progressbar=False)
    with pytest.raises(exmc.ExmcError, match="only the first trace has a log_likelihood"):
        exmc.concat(full_trace, other)
    plain = exmc.Trace(posterior=full_trace.posterior, sample_stats=full_trace.sample_stats,
                       warmup_posterior=full_trace.warmup_posterior, warmup_sample_stats=full_trace.warmup_sample_stats,
                       observed_data=full_trace.observed_data, rewrites=full_trace.rewrites,
                       auxiliary=full_trace.auxiliary)
    with pytest.raises(exmc.ShapeError, match="do not join"):
        exmc.concat(plain, other, dim="chain")
    assert exmc.concat(plain, other, dim="draw").n_draws == 90
    with pytest.raises(exmc.SettingsError, match="dim"):
        exmc.concat(plain, other, dim="sample")
    moved = exmc.Trace(posterior=plain.posterior, sample_stats=plain.sample_stats, observed_data={"y_obs": np.zeros(8)})
    with pytest.raises(exmc.ExmcError, match="different data"):
        exmc.concat(plain, moved)


def test_loading_something_else_is_an_exmc_error(tmp_path):
    with pytest.raises(exmc.ExmcError, match="no file"):
        exmc.load_trace(tmp_path / "missing.nc")
    (tmp_path / "text.nc").write_text("not a netCDF file")
    with pytest.raises(exmc.ExmcError, match="not a netCDF"):
        exmc.load_trace(tmp_path / "text.nc")
