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
        "noncenter: theta ~ Normal(mu, tau) -> theta_raw ~ Normal(0, 1), theta = mu + tau * theta_raw; "
        "the prior outweighs the data (median information ratio 0.157 <= 1)"
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


# The data-aware rule (decision 21). A group model whose information ratio is known exactly:
# a ~ Normal(mu, s) with s pinned at 2 by its prior, y_i ~ Normal(a[g_i], 1): r_j = 4 n_j.
COUNTS = np.array([0, 3, 1, 0, 5, 2])


def grouped(counts=COUNTS, scale=2.0, obs_sigma=1.0) -> exmc.IR:
    group = np.repeat(np.arange(len(counts)), counts)
    y = np.random.default_rng(0).normal(size=group.size)
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("s", exmc.LogNormal, {"mu": np.log(scale), "sigma": 1e-6})
        .rv("a", exmc.Normal, {"mu": "mu", "sigma": "s"}, shape=len(counts))
        .det("a_of_y", lambda a: a[group], ["a"])
        .rv("y", exmc.Normal, {"mu": "a_of_y", "sigma": obs_sigma})
        .obs("y_obs", "y", y)
    )


def test_information_ratio_is_the_datas_precision_over_the_priors():
    from exmc.ir.analysis import analyze
    from exmc.rewrite.information import information_ratios

    ir = grouped()
    ratios = information_ratios(ir, analyze(ir), ("a",))["a"]
    np.testing.assert_allclose(ratios, 4.0 * COUNTS, rtol=1e-4)
    ir = grouped(scale=0.5, obs_sigma=2.0)
    np.testing.assert_allclose(information_ratios(ir, analyze(ir), ("a",))["a"], COUNTS / 16.0, rtol=1e-4)


def test_elements_the_data_pin_down_stay_centered_the_others_are_noncentered():
    after = noncenter(grouped())
    (rewrite,) = after.rewrites
    np.testing.assert_array_equal(rewrite.params["centered"], COUNTS > 0)
    assert rewrite.aux == ("a_raw", "a_raw_mu", "a_raw_sigma")
    assert "4 of 6 elements centered" in rewrite.detail
    assert "information ratios from 0 to 20" in rewrite.detail
    # all pinned down: nothing changes, and the report says why
    kept = noncenter(grouped(counts=np.array([2, 3, 1])))
    assert [n.name for n in kept.nodes] == [n.name for n in grouped(counts=np.array([2, 3, 1])).nodes]
    assert kept.rewrites[0].aux == () and "kept centered; the data outweigh the prior" in kept.rewrites[0].detail
    # "always" non-centers every element whatever the data
    assert noncenter(grouped(), mode="always").rewrites[0].aux == ("a_raw",)


def test_mixed_logp_equals_original_plus_jacobian_of_the_noncentered_elements():
    """x_j = z_j where centered, mu + s z_j elsewhere: log p_mixed(z) = log p(x(z)) + sum_nc log s."""
    centered = exmc.compile_model(grouped(), noncenter=False)
    mixed = exmc.compile_model(grouped())
    mask = COUNTS > 0
    rng = np.random.default_rng(11)
    for z_point in rng.normal(size=(25, mixed.dim)):
        z_point[mixed.layout["s"].slice] = np.log(2.0) + 1e-6 * rng.normal()  # where s's prior lives
        values = mixed.to_constrained(z_point)
        z = z_point[mixed.layout["a_raw"].slice]
        np.testing.assert_allclose(values["a"], np.where(mask, z, values["mu"] + values["s"] * z), rtol=1e-12)
        c_point = z_point.copy()
        c_point[centered.layout["a"].slice] = values["a"]
        expected = centered.logp(c_point) + (~mask).sum() * np.log(values["s"])
        assert mixed.logp(z_point) == pytest.approx(expected, rel=1e-12, abs=1e-10)
        # the gradient is that of the same function, by the chain rule through x(z)
        _, grad = mixed.logp_and_grad(z_point)
        step = 1e-6 * np.eye(mixed.dim)[mixed.layout["a_raw"].slice.start]
        numeric = (mixed.logp(z_point + step) - mixed.logp(z_point - step)) / 2e-6
        assert grad[mixed.layout["a_raw"].slice.start] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_mixed_rewrite_reports_only_the_users_names_and_inverts_init_values():
    model = exmc.compile_model(grouped())
    values = model.to_constrained(np.zeros(model.dim))
    assert set(values) == {"mu", "s", "a", "a_raw", "a_of_y"}
    assert model.auxiliary == {"a_raw": "a"}
    a = np.linspace(-1.0, 2.0, len(COUNTS))
    point = model.initial_point(seed=1, init_values={"a": a, "mu": 0.5})
    np.testing.assert_allclose(model.to_constrained(point)["a"], a, rtol=1e-12, atol=1e-12)


def test_noncenter_setting_is_checked():
    with pytest.raises(exmc.SettingsError, match="noncenter"):
        exmc.compile_model(eight_schools(), noncenter="sometimes")
