"""The builder and the IR: immutability, the two call forms, order, references, facts."""

from __future__ import annotations

import dataclasses
import inspect

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import exmc
from exmc import Builder
from exmc import errors as E

DATA = np.array([2.1, 1.8, 2.5])


def model(data=DATA):
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("x_obs", "x", data)
    )


def shifted(mu):
    return mu + 1.0


# Immutability.


def test_each_method_returns_a_new_ir_and_leaves_the_old_one_unchanged():
    empty = Builder.new_ir()
    one = empty.rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
    two = one.rv("x", exmc.Normal, {"mu": "mu", "sigma": 1.0})
    three = two.obs("x_obs", "x", DATA)
    four = three.det("d", shifted, "mu")
    irs = [empty, one, two, three, four]
    assert len({id(ir) for ir in irs}) == len(irs)
    assert [ir.names for ir in irs] == [
        (),
        ("mu",),
        ("mu", "x"),
        ("mu", "x", "x_obs"),
        ("mu", "x", "x_obs", "d"),
    ]
    assert two.observations == {} and two.free_rvs() == ("mu", "x")
    assert three.free_rvs() == ("mu",)
    assert repr(empty) == "IR()"


def test_a_failed_method_leaves_the_ir_unchanged():
    ir = model()
    before = ir.describe()
    with pytest.raises(exmc.DuplicateNameError):
        ir.rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    assert ir.describe() == before and len(ir) == 4


def test_ir_and_nodes_cannot_be_assigned_to():
    ir = model()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir.nodes = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir["mu"].params = {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ir["x_obs"].data = np.zeros(3)
    assert isinstance(ir.nodes, tuple)


def test_params_mapping_cannot_be_mutated():
    params = model()["x"].params
    with pytest.raises(TypeError):
        params["mu"] = 1.0
    with pytest.raises(TypeError):
        del params["sigma"]
    assert dict(params) == {"mu": "mu", "sigma": "sigma"}


def test_constant_params_and_data_are_read_only():
    ir = Builder.new_ir().rv("x", exmc.Normal, {"mu": np.zeros(3), "sigma": 2.0}).obs("x_obs", "x", DATA)
    mu, sigma, data = ir["x"].params["mu"], ir["x"].params["sigma"], ir["x_obs"].data
    for array in (mu, sigma, data):
        assert not array.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        mu[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        sigma[...] = -1.0
    with pytest.raises(ValueError, match="read-only"):
        data[1] = 0.0
    np.testing.assert_array_equal(mu, np.zeros(3))
    assert float(sigma) == 2.0
    np.testing.assert_array_equal(data, DATA)


def test_ir_does_not_alias_the_users_inputs():
    params = {"mu": np.zeros(3), "sigma": 1.0}
    data = DATA.copy()
    ir = Builder.new_ir().rv("x", exmc.Normal, params).obs("x_obs", "x", data)
    params["mu"][0] = 7.0
    params["sigma"] = 9.0
    params["extra"] = 1.0
    data[0] = -7.0
    assert set(ir["x"].params) == {"mu", "sigma"}
    np.testing.assert_array_equal(ir["x"].params["mu"], np.zeros(3))
    assert float(ir["x"].params["sigma"]) == 1.0
    np.testing.assert_array_equal(ir["x_obs"].data, DATA)


# The two call forms.


def test_function_forms_equal_method_forms():
    theta_mu = np.array([0.0, 1.0, 2.0])
    by_method = (
        Builder.new_ir()
        .rv("tau", exmc.HalfCauchy, {"beta": 5.0})
        .rv("theta", exmc.Normal, {"mu": theta_mu, "sigma": "tau"}, shape=3, noncenter=False)
        .det("d", shifted, "tau")
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": 1.0})
        .obs("y_obs", "y", DATA)
    )
    ir = Builder.new_ir()
    ir = Builder.rv(ir, "tau", exmc.HalfCauchy, {"beta": 5.0})
    ir = Builder.rv(ir, "theta", exmc.Normal, {"mu": theta_mu, "sigma": "tau"}, shape=3, noncenter=False)
    ir = Builder.det(ir, "d", shifted, "tau")
    ir = Builder.rv(ir, "y", exmc.Normal, {"mu": "theta", "sigma": 1.0})
    by_function = Builder.obs(ir, "y_obs", "y", DATA)

    assert by_function == by_method
    assert by_function.describe() == by_method.describe()
    # Equality looks at values: a different constant or datum makes a different IR.
    assert Builder.obs(ir, "y_obs", "y", DATA + 1.0) != by_method
    other = Builder.rv(Builder.new_ir(), "tau", exmc.HalfCauchy, {"beta": 4.0})
    assert other != Builder.new_ir().rv("tau", exmc.HalfCauchy, {"beta": 5.0})


def test_function_forms_are_builder_static_methods_over_any_ir():
    ir = model()
    assert Builder.new_ir() == exmc.IR()
    assert Builder.det(ir, "d", shifted, ["mu"]) == ir.det("d", shifted, ["mu"])
    with pytest.raises(exmc.DuplicateNameError):
        Builder.rv(ir, "x", exmc.Normal, {"mu": 0.0, "sigma": 1.0})


# Order and references.


def test_nodes_keep_insertion_order():
    ir = (
        Builder.new_ir()
        .rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("b", shifted, "z")
        .rv("a", exmc.HalfNormal, {"sigma": 1.0})
        .rv("m", exmc.Normal, {"mu": "b", "sigma": "a"})
        .obs("m_obs", "m", DATA)
    )
    assert ir.names == ("z", "b", "a", "m", "m_obs")
    assert [n.name for n in ir.nodes] == list(ir.names)
    assert [line.split(" ")[0].rstrip(":") for line in ir.describe().splitlines()] == list(ir.names)


def test_forward_references_compile_like_the_same_model_in_order():
    forward = (
        Builder.new_ir()
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "s"})
        .obs("x_obs", "x", DATA)
        .det("s", jnp.exp, "log_s")
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("log_s", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    )
    in_order = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("log_s", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("s", jnp.exp, "log_s")
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "s"})
        .obs("x_obs", "x", DATA)
    )
    a, b = exmc.compile_model(forward), exmc.compile_model(in_order)
    assert a.dim == b.dim == 2
    assert a.free_rvs == b.free_rvs == ("mu", "log_s")
    point = np.array([0.3, -0.4])
    assert a.logp(point) == pytest.approx(b.logp(point), rel=1e-14)
    expected = (
        scipy.stats.norm.logpdf(0.3, 0.0, 5.0)
        + scipy.stats.norm.logpdf(-0.4, 0.0, 1.0)
        + scipy.stats.norm.logpdf(DATA, 0.3, np.exp(-0.4)).sum()
    )
    assert a.logp(point) == pytest.approx(expected, rel=1e-12)


def test_det_accepts_a_single_string_dep():
    ir = model().det("d", shifted, "mu")
    assert ir["d"].deps == ("mu",)
    assert ir == model().det("d", shifted, ["mu"])
    compiled = exmc.compile_model(ir)
    values = compiled.to_constrained(np.array([0.7, 0.0]))
    assert float(values["d"]) == pytest.approx(1.7)


# Describing the model.


def test_describe_shows_each_node_in_tilde_notation():
    ir = (
        model()
        .rv("theta", exmc.Normal, {"mu": np.zeros(8), "sigma": 1.0}, shape=8)
        .det("d", shifted, "mu")
    )
    assert ir.describe().splitlines() == [
        "mu ~ Normal(mu=0, sigma=5)",
        "sigma ~ HalfNormal(sigma=2)",
        "x ~ Normal(mu=mu, sigma=sigma)",
        "x_obs: observe x = [2.1, 1.8, 2.5]",
        "theta ~ Normal(mu=<array (8,)>, sigma=1)  shape=(8,)",
        "d = shifted(mu)",
    ]
    assert repr(ir) == "IR(\n  " + "\n  ".join(ir.describe().splitlines()) + "\n)"


# Facts.


def test_observations_and_free_rvs():
    ir = model().det("d", shifted, "mu").rv("z", exmc.Normal, {"mu": "d", "sigma": 1.0})
    assert dict(ir.observations) == {"x": ir["x_obs"]}
    assert ir.observations["x"].rv == "x"
    assert ir.free_rvs() == ("mu", "sigma", "z")
    assert model().free_rvs() == ("mu", "sigma")
    assert Builder.new_ir().free_rvs() == () and dict(Builder.new_ir().observations) == {}


@pytest.mark.parametrize("data", [DATA, DATA.reshape(3, 1) * np.ones((3, 2))], ids=["vector", "matrix"])
def test_observed_rv_without_shape_takes_the_datas_shape(data):
    ir = model(data)
    assert ir["x"].shape is None
    compiled = exmc.compile_model(ir)
    assert compiled.analysis.shapes["x"] == data.shape
    assert compiled.dim == 2
    point = np.array([0.5, np.log(1.5)])
    assert compiled.logp_terms(point)["x_obs"] == pytest.approx(
        scipy.stats.norm.logpdf(data, 0.5, 1.5).sum(), rel=1e-12
    )
    assert "x" not in compiled.to_constrained(point)


@pytest.mark.parametrize("shape, expected", [(8, (8,)), ((8,), (8,)), ((2, 4), (2, 4))])
def test_vector_rv_via_shape(shape, expected):
    ir = Builder.new_ir().rv("theta", exmc.Normal, {"mu": 1.0, "sigma": 2.0}, shape=shape)
    assert ir["theta"].shape == expected
    compiled = exmc.compile_model(ir)
    assert compiled.dim == 8
    point = np.linspace(-1.0, 1.0, 8)
    theta = compiled.to_constrained(point)["theta"]
    assert theta.shape == expected
    np.testing.assert_array_equal(theta.ravel(), point)
    assert compiled.logp(point) == pytest.approx(scipy.stats.norm.logpdf(point, 1.0, 2.0).sum(), rel=1e-12)


# Errors.


def _error_classes():
    return [
        cls for _, cls in inspect.getmembers(E, inspect.isclass)
        if issubclass(cls, E.ExmcError) and cls is not E.ExmcError
    ]


def test_every_error_is_an_exmc_error_and_a_value_error():
    classes = _error_classes()
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, exmc.ExmcError) and issubclass(cls, ValueError), cls
        assert getattr(exmc, cls.__name__) is cls, f"{cls.__name__} is not exported from exmc"
    assert issubclass(exmc.ExmcError, ValueError)


def test_a_raised_error_can_be_caught_as_value_error():
    with pytest.raises(ValueError) as info:
        model().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    assert isinstance(info.value, exmc.DuplicateNameError)
    assert info.value.node == "x"
    assert str(info.value) == "node 'x': the name 'x' is already taken by another node"
