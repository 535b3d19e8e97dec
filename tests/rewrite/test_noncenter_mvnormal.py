"""Automatic non-centering of MvNormal with a Cholesky factor that depends on free variables:
x = mu + chol @ z per event, decided per event from the data (decision 44)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import exmc
from exmc import Builder

G = 6


def _model(per_group):
    """Varying intercepts and slopes; group g has per_group[g] observations."""
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(G), per_group)
    x = rng.normal(size=group.size)
    y = rng.normal(size=group.size)
    return (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0}, shape=2)
        .det("chol", lambda L, tau: tau[:, None] * L, ["L", "tau"])
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0}, shape=2)
        .rv("ab", exmc.MvNormal, {"mu": "mu", "chol": "chol"}, shape=(G, 2))
        .det("mu_y", lambda ab: ab[group, 0] + ab[group, 1] * x, ["ab"])
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": 1.0})
        .obs("y_obs", "y", y)
    )


def test_weakly_informed_groups_are_noncentered_and_reported():
    model = exmc.compile_model(_model([1] * G))
    (rewrite,) = model.rewrites
    assert rewrite.node == "ab" and rewrite.aux == ("ab_raw",)
    assert "ab_raw ~ Normal(0, 1), ab = mu + chol @ ab_raw" in str(rewrite)
    assert "the prior outweighs the data" in str(rewrite)
    assert model.auxiliary == {"ab_raw": "ab"}


def test_well_informed_groups_stay_centered():
    model = exmc.compile_model(_model([300] * G))
    (rewrite,) = model.rewrites
    assert rewrite.aux == () and "kept centered" in str(rewrite)


def test_mixed_decision_is_per_event():
    model = exmc.compile_model(_model([300, 300, 300, 1, 1, 1]))
    (rewrite,) = model.rewrites
    assert "3 of 6 events centered" in str(rewrite)
    np.testing.assert_array_equal(rewrite.params["centered"], [True] * 3 + [False] * 3)


@pytest.mark.parametrize("per_group", [[1] * G, [300, 300, 300, 1, 1, 1]], ids=["all", "mixed"])
def test_rewritten_density_is_the_centered_one_times_the_jacobian(per_group):
    ir = _model(per_group)
    rewritten = exmc.compile_model(ir)
    centered = exmc.compile_model(ir, noncenter=False)
    mask = np.asarray(rewritten.rewrites[0].params["centered"])
    for seed in range(3):
        point = rewritten.initial_point(seed=seed)
        values = rewritten.to_constrained(point)
        z = point[rewritten.layout["ab_raw"].slice].reshape(G, 2)
        chol = np.tril(values["chol"])
        expected_ab = np.where(mask[:, None], z, values["mu"] + z @ chol.T)
        np.testing.assert_allclose(values["ab"], expected_ab, rtol=1e-12, atol=1e-12)
        other = centered.initial_point(seed=0, init_values={k: values[k] for k in ("L", "tau", "mu", "ab")})
        # d ab / d z = chol in each non-centered event: |det| = chol_00 chol_11
        log_jac = (~mask).sum() * np.log(np.abs(np.diag(chol))).sum()
        assert rewritten.logp(point) == pytest.approx(centered.logp(other) + log_jac, rel=1e-10, abs=1e-9)


def test_init_values_are_solved_for_the_auxiliary():
    model = exmc.compile_model(_model([1] * G))
    ab = np.arange(2.0 * G).reshape(G, 2) / 7.0
    point = model.initial_point(seed=0, init_values={"ab": ab})
    np.testing.assert_allclose(model.to_constrained(point)["ab"], ab, atol=1e-12)


def test_exempt_node_and_constant_factor_are_left_alone():
    ir = (
        Builder.new_ir()
        .rv("x", exmc.MvNormal, {"mu": np.zeros(2), "chol": np.eye(2)})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0}, shape=2)
        .det("chol", lambda tau: jax.numpy.diag(tau), ["tau"])
        .rv("w", exmc.MvNormal, {"mu": np.zeros(2), "chol": "chol"}, noncenter=False)
    )
    assert exmc.compile_model(ir).rewrites == ()
