"""Data nodes and IR.set_data: referenced by name, integer data stay integer, set_data gives a
new IR (the old one unchanged), observations may be replaced and change length, bad names and
bad values raise ExmcErrors naming the node (decision 57)."""

import numpy as np
import pytest
import scipy.stats as st

import exmc
from exmc import Builder

X = np.linspace(0.0, 10.0, 6)
Y = np.array([0.8, 2.1, 3.2, 3.9, 5.2, 6.1])


def regression(x=X, y=Y):
    return (
        Builder.new_ir()
        .data("x", x)
        .data("group", np.array([0, 1, 0, 1, 0, 1]))
        .rv("ab", exmc.Normal, {"mu": 0.0, "sigma": 5.0}, shape=2)
        .rv("shift", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=2)
        .det("mu", lambda ab, shift, x, g: ab[0] + ab[1] * x + shift[g], ["ab", "shift", "x", "group"])
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": 1.5})
        .obs("y_obs", "y", y)
    )


def hand_logp(point, x, y, group):
    ab, shift = point[:2], point[2:]
    mu = ab[0] + ab[1] * x + shift[group]
    return (st.norm.logpdf(ab, 0, 5).sum() + st.norm.logpdf(shift, 0, 1).sum()
            + st.norm.logpdf(y, mu, 1.5).sum())


def test_data_node_is_referenced_by_name_and_integer_data_stay_integer():
    ir = regression()
    assert ir["group"].value.dtype == np.int64 and ir["x"].value.dtype == np.float64
    model = exmc.compile_model(ir, noncenter=False)
    point = np.array([0.3, 0.6, -0.2, 0.4])
    assert model.logp(point) == pytest.approx(hand_logp(point, X, Y, np.array([0, 1, 0, 1, 0, 1])), rel=1e-12)
    assert "x" not in model.to_constrained(point)  # data are inputs, not draws
    assert model.data["group"].dtype == np.int64


def test_a_data_node_as_a_parameter():
    scale = np.array([1.0, 2.0, 3.0])
    ir = (Builder.new_ir().data("s", scale).rv("z", exmc.Normal, {"mu": 0.0, "sigma": "s"}))
    model = exmc.compile_model(ir)
    point = np.array([0.1, -0.5, 2.0])
    assert model.logp(point) == pytest.approx(st.norm.logpdf(point, 0, scale).sum(), rel=1e-12)
    new = ir.set_data(s=np.array([4.0, 5.0, 6.0]))
    assert exmc.compile_model(new).logp(point) == pytest.approx(st.norm.logpdf(point, 0, [4, 5, 6]).sum(), rel=1e-12)


def test_set_data_returns_a_new_ir_and_leaves_the_old_one():
    ir = regression()
    x2, y2 = X + 1.0, Y * 2.0
    new = ir.set_data(x=x2, y_obs=y2)
    assert new is not ir and new.names == ir.names
    np.testing.assert_array_equal(ir["x"].value, X)
    np.testing.assert_array_equal(ir["y_obs"].data, Y)
    np.testing.assert_array_equal(new["x"].value, x2)
    point = np.array([0.3, 0.6, -0.2, 0.4])
    group = np.array([0, 1, 0, 1, 0, 1])
    assert exmc.compile_model(new, noncenter=False).logp(point) == pytest.approx(hand_logp(point, x2, y2, group), rel=1e-12)
    assert exmc.compile_model(ir, noncenter=False).logp(point) == pytest.approx(hand_logp(point, X, Y, group), rel=1e-12)
    assert new.structure is ir.structure  # the compiled sampler is shared (decision 57)
    assert ir.rv("other", exmc.Normal, {"mu": 0.0, "sigma": 1.0}).structure is not ir.structure


def test_set_data_may_change_lengths():
    ir = regression()
    short = ir.set_data(x=np.array([1.0, 2.0]), group=np.array([1, 1]), y_obs=np.array([0.5, 1.0]))
    model = exmc.compile_model(short, noncenter=False)
    assert model.analysis.shapes["y"] == (2,) and model.analysis.shapes["mu"] == (2,)
    point = np.array([0.3, 0.6, -0.2, 0.4])
    assert model.logp(point) == pytest.approx(
        hand_logp(point, np.array([1.0, 2.0]), np.array([0.5, 1.0]), np.array([1, 1])), rel=1e-12)


def test_a_new_length_without_new_observations_is_a_shape_error_at_compile_time():
    ir = regression().set_data(x=np.zeros(3), group=np.zeros(3, int))
    with pytest.raises(exmc.ShapeError, match="'y'"):
        exmc.compile_model(ir)


@pytest.mark.parametrize(
    "values, error, node, match",
    [
        (dict(z=np.zeros(6)), exmc.UnknownDataError, "z", "'z' is not a node of the model; its data are x, group, y_obs"),
        (dict(ab=np.zeros(2)), exmc.UnknownDataError, "ab", "is a RV node, not data"),
        (dict(mu=np.zeros(6)), exmc.UnknownDataError, "mu", "is a Det node, not data"),
        (dict(x=np.array([1.0, np.nan])), exmc.DataError, "x", "finite"),
        (dict(x="abc"), exmc.DataError, "x", "numeric"),
        (dict(x=np.array([1j])), exmc.DataError, "x", "real"),
        (dict(y_obs=np.array([1.0, np.inf])), exmc.DataError, "y_obs", "finite"),
    ],
)
def test_set_data_errors_name_the_node(values, error, node, match):
    with pytest.raises(error, match=match) as info:
        regression().set_data(**values)
    assert info.value.node == node
    assert isinstance(info.value, exmc.ExmcError)


def test_observed_data_replaced_keep_the_support_check():
    ir = (Builder.new_ir().rv("rate", exmc.HalfNormal, {"sigma": 1.0})
          .rv("k", exmc.Poisson, {"mu": "rate"}).obs("k_obs", "k", np.array([1.0, 2.0])))
    with pytest.raises(exmc.DataError, match="support of Poisson") as info:
        ir.set_data(k_obs=np.array([1.0, -2.0]))
    assert info.value.node == "k_obs"


def test_data_node_build_errors():
    with pytest.raises(exmc.DuplicateNameError):
        Builder.new_ir().data("x", 1.0).data("x", 2.0)
    with pytest.raises(exmc.DataError, match="numeric") as info:
        Builder.new_ir().data("x", None)
    assert info.value.node == "x"
    with pytest.raises(exmc.UnknownReferenceError, match="an observation"):
        exmc.compile_model(regression().det("bad", lambda y: y, ["y_obs"]))


def test_dims_are_stored_on_the_node():
    ir = Builder.new_ir().data("x", X, dims="obs").data("m", np.zeros((2, 3)), dims=("a", "b"))
    assert ir["x"].dims == ("obs",) and ir["m"].dims == ("a", "b")
    assert Builder.data(Builder.new_ir(), "x", X)["x"].dims is None


def test_data_enter_the_fingerprint():
    from exmc.fingerprint import fingerprint

    ir = regression()
    assert fingerprint(ir) != fingerprint(ir.set_data(x=X + 1.0))
    assert fingerprint(ir) == fingerprint(ir.set_data(x=X.copy()))


def test_prior_predictive_reads_the_data_nodes():
    ir = regression()
    prior = exmc.sample_prior_predictive(ir, draws=200, seed=0)
    ab, shift = prior.prior["ab"][0], prior.prior["shift"][0]
    group = np.array([0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(prior.prior["mu"][0], ab[:, :1] + ab[:, 1:] * X + shift[:, group], rtol=1e-12)
    short = exmc.sample_prior_predictive(ir.set_data(x=X[:2], group=group[:2], y_obs=Y[:2]), draws=5, seed=0)
    assert short.prior_predictive["y_obs"].shape == (1, 5, 2)


def test_only_rvs_are_observed_not_data_nor_potentials():
    with pytest.raises(exmc.ObservationError, match="'x', which is a data node") as info:
        Builder.new_ir().data("x", X).obs("o", "x", X)
    assert info.value.node == "o"
    with pytest.raises(exmc.ObservationError, match="which is a potential node"):
        regression().potential("p", lambda ab: ab, ["ab"]).obs("o", "p", X)
