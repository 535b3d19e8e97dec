"""The last raw or missing errors found by issue 10: numpy integer seeds, Binomial counts,
complex data, empty traces, LOO on one draw; each an ExmcError subclass naming the node."""

import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc.demo import readme_model

IR = readme_model()
SMALL = dict(draws=15, tune=15, chains=2, progressbar=False)


@pytest.mark.parametrize("seed", [np.int64(3), np.uint64(3), np.int32(3), np.uint8(3)], ids=lambda s: type(s).__name__)
def test_numpy_integer_seeds_are_accepted_everywhere(seed, tmp_path):
    trace = exmc.sample(IR, seed=seed, **SMALL)
    np.testing.assert_array_equal(trace.posterior["mu"], exmc.sample(IR, seed=3, **SMALL).posterior["mu"])
    assert type(trace.attrs["seed"]) is int
    trace.save(tmp_path / "t.nc")  # the settings are JSON
    batch = next(iter(exmc.sample_stream(IR, seed=seed, **SMALL)))
    assert batch.state.seed == 3
    assert exmc.sample_prior_predictive(IR, draws=5, seed=seed).prior["mu"].shape == (1, 5)
    exmc.sample_posterior_predictive(IR, trace, seed=seed)
    model = exmc.compile_model(IR)
    np.testing.assert_array_equal(model.initial_point(seed=seed), model.initial_point(seed=3))


def _binomial(n, data=(1.0, 2.0)):
    return (
        exmc.Builder.new_ir()
        .rv("p", exmc.Beta, {"alpha": 1.0, "beta": 1.0})
        .rv("y", exmc.Binomial, {"n": n, "p": "p"})
        .obs("y_obs", "y", np.array(data))
    )


def test_a_binomial_count_array_that_does_not_fit_the_data_is_a_shape_error():
    with pytest.raises(exmc.ShapeError, match="does not broadcast") as info:
        _binomial(np.array([5.0, 6.0, 7.0]))
    assert info.value.node == "y_obs"


def _counted_by_det(offset: float):
    return (
        exmc.Builder.new_ir()
        .rv("p", exmc.Beta, {"alpha": 1.0, "beta": 1.0})
        .rv("m", exmc.Normal, {"mu": 5.0, "sigma": 1.0})
        .det("n", lambda m: jnp.floor(m) + offset, ["m"])
        .rv("y", exmc.Binomial, {"n": "n", "p": "p"})
        .obs("y_obs", "y", np.array([1.0, 2.0]))
    )


def test_a_binomial_count_from_a_det_node_that_is_not_a_whole_number_has_no_density():
    point = np.zeros(2)
    assert exmc.compile_model(_counted_by_det(0.5)).logp(point) == -np.inf
    assert exmc.compile_model(_counted_by_det(-4.0)).logp(point) == -np.inf  # n = 1 < the data's 2
    assert np.isfinite(exmc.compile_model(_counted_by_det(6.0)).logp(point))


@pytest.mark.parametrize("where", ["data", "parameter"])
def test_complex_numbers_are_refused_not_cut_to_their_real_part(where):
    base = exmc.Builder.new_ir()
    if where == "data":
        base = base.rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        with pytest.raises(exmc.DataError, match="complex") as info:
            base.obs("x_obs", "x", np.array([1.0 + 2.0j, 3.0]))
        assert info.value.node == "x_obs"
    else:
        with pytest.raises(exmc.ParameterDomainError, match="complex") as info:
            base.rv("x", exmc.Normal, {"mu": 1.0 + 1.0j, "sigma": 1.0})
        assert info.value.node == "x"


def test_summary_of_a_trace_without_draws_names_the_variable():
    trace = exmc.sample(IR, draws=0, tune=10, chains=2, progressbar=False)
    with pytest.raises(exmc.ExmcError, match="no draws") as info:
        exmc.summary(trace)
    assert info.value.node == "mu"


def test_no_draws_and_no_warmup_is_a_settings_error_not_an_empty_trace():
    with pytest.raises(exmc.SettingsError, match="nothing to sample"):
        exmc.sample(IR, draws=0, tune=0, progressbar=False)


def test_loo_on_too_few_draws_says_so_naming_the_observation():
    trace = exmc.sample(IR, draws=1, tune=10, chains=1, progressbar=False)
    with pytest.raises(exmc.ExmcError, match="at least 11 draws") as info:
        exmc.loo(trace, IR)
    assert info.value.node == "x_obs"
