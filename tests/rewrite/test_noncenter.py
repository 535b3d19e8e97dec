"""The automatic non-centering pass: its rule, the IR before and after, and its Jacobian."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc.ir.nodes import RV, Det
from exmc.rewrite import noncenter

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def eight_schools(**theta_kwargs) -> exmc.IR:
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("tau", exmc.HalfCauchy, {"beta": 5.0})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=8, **theta_kwargs)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": SIGMA})
        .obs("y_obs", "y", Y)
    )


def rewritten_names(ir: exmc.IR) -> set[str]:
    return {r.node for r in noncenter(ir).rewrites}


def test_ir_before_and_after_on_eight_schools():
    before = eight_schools()
    after = noncenter(before)
    assert before.describe().splitlines()[2] == "theta ~ Normal(mu=mu, sigma=tau)  shape=(8,)"
    assert after.describe().splitlines()[2:4] == [
        "theta_raw ~ Normal(mu=0, sigma=1)  shape=(8,)  [auxiliary for theta]",
        "theta = noncentered(theta_raw, mu, tau)  [noncenter]",
    ]
    assert isinstance(after["theta"], Det) and isinstance(after["theta_raw"], RV)
    assert after["theta_raw"].aux_for == "theta"
    assert [str(r) for r in after.rewrites] == [
        "noncenter: theta ~ Normal(mu, tau) -> theta_raw ~ Normal(0, 1), theta = mu + tau * theta_raw"
    ]
    assert before["theta"].dist is exmc.Normal  # the pass is pure: the input IR is unchanged


def test_scale_depending_on_a_free_rv_through_det_nodes_is_rewritten():
    ir = (
        Builder.new_ir()
        .rv("log_tau", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("tau", jnp.exp, "log_tau")
        .det("tau2", lambda t: 2.0 * t, "tau")
        .rv("x", exmc.Normal, {"mu": 0.0, "sigma": "tau2"}, shape=3)
    )
    assert rewritten_names(ir) == {"x"}


@pytest.mark.parametrize(
    "ir",
    [
        Builder.new_ir().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 2.0}),
        Builder.new_ir()
        .rv("m", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("x", exmc.Normal, {"mu": "m", "sigma": 2.0}),
        Builder.new_ir()
        .rv("s", exmc.HalfNormal, {"sigma": 1.0})
        .obs("s_obs", "s", 0.7)
        .rv("x", exmc.Normal, {"mu": 0.0, "sigma": "s"}),
        Builder.new_ir()
        .rv("s", exmc.HalfNormal, {"sigma": 1.0})
        .rv("x", exmc.StudentT, {"nu": 3.0, "mu": 0.0, "sigma": "s"}),
    ],
    ids=["constant_scale", "free_mean_constant_scale", "scale_is_observed", "not_normal"],
)
def test_nodes_outside_the_rule_are_left_alone(ir):
    assert rewritten_names(ir) == set()


def test_observed_normal_is_not_rewritten():
    assert rewritten_names(eight_schools()) == {"theta"}  # y ~ Normal(theta, SIGMA) is observed


def test_constant_mean_with_free_scale_is_rewritten():
    ir = (
        Builder.new_ir()
        .rv("s", exmc.HalfNormal, {"sigma": 1.0})
        .rv("x", exmc.Normal, {"mu": 3.0, "sigma": "s"})
    )
    after = noncenter(ir)
    assert after["x"].deps == ("x_raw", "s")


def test_pass_can_be_turned_off_per_node_and_per_model():
    assert rewritten_names(eight_schools(noncenter=False)) == set()
    assert exmc.compile_model(eight_schools(), noncenter=False).rewrites == ()
    assert [r.node for r in exmc.compile_model(eight_schools()).rewrites] == ["theta"]


def test_auxiliary_name_avoids_existing_names():
    ir = (
        Builder.new_ir()
        .rv("theta_raw", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0})
        .rv("theta", exmc.Normal, {"mu": "theta_raw", "sigma": "tau"})
    )
    assert noncenter(ir).rewrites[0].aux == ("theta_raw_",)


def test_rewritten_logp_equals_original_plus_reparameterisation_jacobian():
    """log p_nc(z, rest) = log p_c(x = mu + tau z, rest) + sum(log tau), pointwise."""
    centered = exmc.compile_model(eight_schools(), noncenter=False)
    rewritten = exmc.compile_model(eight_schools())
    assert rewritten.free_rvs == ("mu", "tau", "theta_raw")
    assert centered.free_rvs == ("mu", "tau", "theta")
    rng = np.random.default_rng(7)
    for z_point in rng.normal(size=(25, rewritten.dim)):
        values = rewritten.to_constrained(z_point)
        c_point = z_point.copy()
        c_point[centered.layout["theta"].slice] = values["theta"]
        jacobian = 8 * np.log(values["tau"])
        expected = centered.logp(c_point) + jacobian
        assert rewritten.logp(z_point) == pytest.approx(expected, rel=1e-12, abs=1e-10)
        np.testing.assert_allclose(
            values["theta"], values["mu"] + values["tau"] * z_point[rewritten.layout["theta_raw"].slice]
        )


def test_trace_values_report_the_users_name_and_flag_the_auxiliary():
    model = exmc.compile_model(eight_schools())
    values = model.to_constrained(np.zeros(model.dim))
    assert set(values) == {"mu", "tau", "theta", "theta_raw"}
    assert values["theta"].shape == (8,)
    assert model.auxiliary == {"theta_raw": "theta"}


def test_init_values_for_a_noncentered_node_are_solved_for_its_auxiliary():
    model = exmc.compile_model(eight_schools())
    theta = np.linspace(-3.0, 4.0, 8)
    point = model.initial_point(seed=3, init_values={"theta": theta, "tau": 2.5})
    values = model.to_constrained(point)
    np.testing.assert_allclose(values["theta"], theta, rtol=1e-12, atol=1e-12)
    assert values["tau"] == pytest.approx(2.5, rel=1e-14)


def test_references_to_a_rewritten_node_still_resolve():
    ir = eight_schools().det("theta_mean", jnp.mean, "theta")
    model = exmc.compile_model(ir)
    values = model.to_constrained(np.full(model.dim, 0.3))
    assert values["theta_mean"] == pytest.approx(values["theta"].mean())
