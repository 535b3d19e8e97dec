"""Named dimensions (decision 61): coords and dims reach the trace, ArviZ, the trace file,
exmc.summary's labels and the dashboard; malformed ones are errors naming the node."""

import arviz as az
import numpy as np
import pytest

import exmc
from exmc import Builder

COUNTIES = ["Adams", "Baker", "Clark"]
COEFS = ["intercept", "slope"]
RNG = np.random.default_rng(0)
IDX = np.array([0, 1, 2] * 4)
X = RNG.normal(size=12)
Y = 1.0 + 0.5 * X + 0.3 * RNG.normal(size=12)

pytestmark = pytest.mark.filterwarnings("ignore::exmc.SamplingWarning")


def model(coords=None, ab_dims=("county", "coef"), shape=(3, 2)):
    coords = {"county": COUNTIES, "coef": COEFS} if coords is None else coords
    return (
        Builder.new_ir(coords=coords)
        .rv("mu_a", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
        .rv("ab", exmc.Normal, {"mu": "mu_a", "sigma": 1.0}, shape=shape, dims=ab_dims)
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .det("mu_y", lambda ab: ab[IDX, 0] + ab[IDX, 1] * X, ["ab"], dims="obs")
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": "sigma"}, dims="obs")
        .obs("y_obs", "y", Y)
    )


@pytest.fixture(scope="module")
def trace():
    ir = model()
    trace = exmc.sample(ir, draws=60, tune=60, chains=2, seed=1, progressbar=False)
    exmc.compute_log_likelihood(trace, ir)
    trace = exmc.sample_posterior_predictive(ir, trace, seed=2)
    return trace


def test_the_trace_carries_dims_and_coords(trace):
    assert trace.dims == {"ab": ("county", "coef"), "mu_y": ("obs",), "y_obs": ("obs",)}
    assert trace.coords == {"coef": tuple(COEFS), "county": tuple(COUNTIES), "obs": tuple(range(12))}


def test_to_arviz_has_the_dims_and_coordinate_values(trace):
    idata = trace.to_arviz()
    ab = idata.posterior["ab"]
    assert ab.dims == ("chain", "draw", "county", "coef")
    assert list(ab.coords["county"].values) == COUNTIES and list(ab.coords["coef"].values) == COEFS
    assert idata.posterior["mu_y"].dims == ("chain", "draw", "obs")
    assert list(idata.posterior["mu_y"].coords["obs"].values) == list(range(12))
    for group in ("observed_data", "log_likelihood", "posterior_predictive"):
        assert getattr(idata, group)["y_obs"].dims[-1] == "obs", group
    names = {d for group in idata.groups() for d in getattr(idata, group).dims}
    assert not any("_dim_" in d for d in names), names
    # the values are the trace's, element for element
    np.testing.assert_array_equal(ab.sel(county="Baker", coef="slope").values, trace.posterior["ab"][:, :, 1, 1])


def test_summary_labels_equal_arviz_s(trace):
    ours = exmc.summary(trace)
    theirs = az.summary(trace.to_arviz(), round_to="none")
    assert list(ours.index) == list(theirs.index)
    assert "ab[Adams, slope]" in ours.index and "mu_y[11]" in ours.index
    np.testing.assert_allclose(ours["mean"].to_numpy(), theirs["mean"].to_numpy(), rtol=1e-12)


def test_save_and_load_keep_dims_and_coords(trace, tmp_path):
    path = tmp_path / "t.nc"
    trace.save(path)
    back = exmc.load_trace(path)
    assert back.dims == trace.dims and back.coords == trace.coords
    np.testing.assert_array_equal(back.posterior["ab"], trace.posterior["ab"])
    # ArviZ reading the file sees the named dimensions too
    idata = az.from_netcdf(path)
    assert idata.posterior["ab"].dims == ("chain", "draw", "county", "coef")
    assert list(idata.posterior["ab"].coords["county"].values) == COUNTIES
    assert list(exmc.summary(back).index) == list(exmc.summary(trace).index)


def test_numeric_and_default_coords():
    ir = (Builder.new_ir(coords={"year": [1990, 2000, 2010]})
          .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3, dims="year")
          .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=2, dims="k"))
    trace = exmc.sample(ir, draws=30, tune=30, chains=2, seed=0, progressbar=False)
    assert trace.coords == {"k": (0, 1), "year": (1990, 2000, 2010)}
    ours, theirs = exmc.summary(trace), az.summary(trace.to_arviz(), round_to="none")
    assert list(ours.index) == list(theirs.index) == ["a[1990]", "a[2000]", "a[2010]", "b[0]", "b[1]"]


def test_prior_predictive_has_dims():
    prior = exmc.sample_prior_predictive(model(), draws=20, seed=0)
    assert prior.dims["ab"] == ("county", "coef") and prior.dims["y_obs"] == ("obs",)
    assert prior.to_arviz().prior["ab"].dims == ("chain", "draw", "county", "coef")


def test_dims_survive_the_non_centering_rewrite():
    ir = (Builder.new_ir(coords={"county": COUNTIES})
          .rv("tau", exmc.HalfNormal, {"sigma": 1.0})
          .rv("a", exmc.Normal, {"mu": 0.0, "sigma": "tau"}, shape=3, dims="county"))
    compiled = exmc.compile_model(ir)
    assert [r.node for r in compiled.rewrites] == ["a"] and "a_raw" in compiled.ir
    assert compiled.ir["a"].dims == ("county",)
    trace = exmc.sample(compiled, draws=20, tune=20, chains=2, seed=0, progressbar=False)
    assert trace.dims == {"a": ("county",)}
    assert trace.to_arviz().posterior["a"].dims == ("chain", "draw", "county")
    assert "a_raw_dim_0" in trace.to_arviz(auxiliary=True).posterior["a_raw"].dims


def test_labels_do_not_change_the_fingerprint_but_concat_refuses_different_ones(trace):
    from exmc.fingerprint import fingerprint

    relabelled = model(coords={"county": ["A", "B", "C"], "coef": COEFS})
    assert fingerprint(relabelled) == fingerprint(model())
    assert fingerprint(model(coords={}, ab_dims=None)) == fingerprint(model())
    other = exmc.sample(relabelled, draws=60, tune=60, chains=2, seed=3, progressbar=False)
    exmc.compute_log_likelihood(other, relabelled)
    other = exmc.sample_posterior_predictive(relabelled, other, seed=2)
    with pytest.raises(exmc.ExmcError, match="name their dimensions differently"):
        exmc.concat(trace, other)
    same = exmc.sample(model(), draws=60, tune=60, chains=2, seed=3, progressbar=False)
    exmc.compute_log_likelihood(same, model())
    same = exmc.sample_posterior_predictive(model(), same, seed=2)
    joined = exmc.concat(trace, same)
    assert joined.dims == trace.dims and joined.coords == trace.coords
    assert joined.to_arviz().posterior["ab"].sizes["chain"] == 4


def test_the_dashboard_menus_use_coordinate_labels(trace):
    from exmc_widgets import dashboard

    dash = dashboard(trace, var_names=["ab", "mu_y"], pair=["ab[Adams, slope]", "ab[Clark, intercept]"],
                     display=False)
    try:
        labels = {v["name"]: v["labels"] for v in dash.spec["variables"]}
        assert labels["ab"] == [f"ab[{c}, {k}]" for c in COUNTIES for k in COEFS]
        assert labels["mu_y"][3] == "mu_y[3]"
        assert dash.spec["pair"] == ["ab[Adams, slope]", "ab[Clark, intercept]"]
        assert "ab[Baker, slope]" in dash.spec["forest"]
        with pytest.raises(exmc.SettingsError):
            dash.pair = ["ab[0, 1]"]  # index labels are not the menus' labels any more
    finally:
        dash.close()


def test_the_live_dashboard_labels_from_the_model():
    from exmc_widgets.dashboard import _available, _model_axes

    compiled = exmc.compile_model(model())
    axes = _model_axes(compiled, _available(compiled))
    assert axes["ab"] == (tuple(COUNTIES), tuple(COEFS)) and "sigma" not in axes


# Malformed uses: each an ExmcError (DimsError, a ShapeError) naming the node, before sampling.

@pytest.mark.parametrize("dims", [3, ["county", 1], {"county": 0}, ("county", ""), ("coef", "coef")])
def test_dims_that_are_not_names(dims):
    with pytest.raises(exmc.DimsError) as err:
        Builder.new_ir().rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=(3, 2), dims=dims)
    assert err.value.node == "a"
    with pytest.raises(exmc.DimsError) as err:
        Builder.new_ir().det("d", lambda: 1.0, [], dims=dims)
    assert err.value.node == "d"


@pytest.mark.parametrize("coords, match", [
    ("county", "dict"),
    ({"county": "ABC"}, "sequence of labels"),
    ({"county": ["A", "A", "B"]}, "twice"),
    ({"county": ["A", 1, "B"]}, "mixes"),
    ({"county": [None, "B"]}, "strings or numbers"),
    ({"county": np.zeros((2, 2))}, "one-dimensional"),
    ({"": ["A"]}, "non-empty"),
])
def test_malformed_coords(coords, match):
    with pytest.raises(exmc.DimsError, match=match):
        Builder.new_ir(coords=coords)


def test_a_shape_with_another_number_of_axes_than_its_dims():
    with pytest.raises(exmc.DimsError, match="name 1 axes") as err:
        model(ab_dims="county")  # shape= given: caught as the node is added
    assert err.value.node == "ab"
    ir = Builder.new_ir().rv("a", exmc.Normal, {"mu": np.zeros(3), "sigma": 1.0}, dims=("x", "y"))
    with pytest.raises(exmc.DimsError, match="shape \\(3,\\)") as err:
        exmc.compile_model(ir)  # the shape inferred from the parameters
    assert err.value.node == "a"
    ir = Builder.new_ir().rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3).det(
        "d", lambda a: a[:, None] * a, ["a"], dims="k")
    with pytest.raises(exmc.DimsError) as err:
        exmc.compile_model(ir)
    assert err.value.node == "d"


def test_coords_of_the_wrong_length():
    with pytest.raises(exmc.DimsError, match="coords\\['county'\\] has 3 labels, but axis 0") as err:
        exmc.compile_model(model(shape=(4, 2)))
    assert err.value.node == "ab"
    ir = model(coords={"county": COUNTIES, "coef": COEFS, "obs": list("abcdefghij")})  # 10 labels, 12 rows
    with pytest.raises(exmc.DimsError, match="coords\\['obs'\\] has 10 labels") as err:
        exmc.compile_model(ir)
    assert err.value.node == "mu_y"
    with pytest.raises(exmc.DimsError) as err:
        exmc.sample(ir, draws=10, tune=10, chains=1, progressbar=False)
    assert err.value.node == "mu_y"


def test_a_dimension_without_coords_has_one_length():
    ir = (Builder.new_ir()
          .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3, dims="k")
          .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=4, dims="k"))
    with pytest.raises(exmc.DimsError, match="length 4 .* but length 3 on node 'a'") as err:
        exmc.compile_model(ir)
    assert err.value.node == "b"


def test_the_ir_shows_and_compares_dims():
    a, b = model(), model(ab_dims=("coef_", "county_"), shape=(3, 2))
    assert "dims=('county', 'coef')" in repr(a)
    assert a["ab"] == model()["ab"] and a["ab"] != b["ab"]
    assert a.coords == {"county": tuple(COUNTIES), "coef": tuple(COEFS)}


def test_set_data_with_a_new_length_relabels_that_dimension_and_predicts():
    """Prediction at new inputs: the fitted rows' labels no longer apply to the new rows, so
    the dimension is labelled 0..n-1; a dimension of unchanged length keeps its labels."""
    ir = (
        exmc.Builder.new_ir(coords={"obs": list("abcde"), "coef": ["slope"]})
        .data("x", np.arange(5.0), dims="obs")
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=1, dims="coef")
        .det("m", lambda b, x: b[0] * x, ["b", "x"], dims="obs")
        .rv("y", exmc.Normal, {"mu": "m", "sigma": 1.0})
        .obs("y_obs", "y", np.ones(5))
    )
    trace = exmc.sample(ir, draws=20, tune=20, chains=1, seed=0, progressbar=False, checks=False)
    new = ir.set_data(x=np.arange(3.0), y_obs=np.zeros(3))
    assert "obs" not in new.coords and list(new.coords["coef"]) == ["slope"]
    assert list(ir.coords["obs"]) == list("abcde")  # the fitted model is unchanged
    pred = exmc.sample_posterior_predictive(new, trace, seed=0)
    assert pred.posterior_predictive["y_obs"].shape == (1, 20, 3)
    same = ir.set_data(x=np.arange(5.0) + 1.0)
    assert list(same.coords["obs"]) == list("abcde")
