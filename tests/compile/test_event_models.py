"""Models with event shapes and dimension-changing transforms through the compiler, the
initial points, the pointwise log-likelihood (one value per event) and predictive draws
(whole events), decision 40."""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest
from scipy import stats

import exmc
from exmc import Builder
from exmc.compile.pointwise import log_likelihood
from exmc.transforms import TRANSFORMS

COV = np.array([[1.0, 0.6], [0.6, 2.0]])
Y = np.random.default_rng(0).multivariate_normal([1.0, -1.0], COV, size=12)


def _mv_model():
    return (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 2.0}, shape=2)
        .det("chol", lambda L, tau: tau[:, None] * L, ["L", "tau"])
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 3.0}, shape=2)
        .rv("y", exmc.MvNormal, {"mu": "mu", "chol": "chol"})
        .obs("y_obs", "y", Y)
    )


def test_layout_holds_the_unconstrained_blocks():
    model = exmc.compile_model(_mv_model())
    assert model.dim == 1 + 2 + 2
    block = model.layout["L"]
    assert (block.shape, block.value_shape, block.changes_dimension) == ((1,), (2, 2), True)
    assert model.layout.labels() == ["L:corr_cholesky[0]", "tau[0]", "tau[1]", "mu[0]", "mu[1]"]
    values = model.to_constrained(model.initial_point(seed=1))
    assert values["L"].shape == (2, 2) and values["chol"].shape == (2, 2)
    assert np.sum(values["L"] ** 2, -1) == pytest.approx([1.0, 1.0])


def test_joint_density_is_the_hand_written_one():
    model = exmc.compile_model(_mv_model())
    point = model.initial_point(seed=3)
    v = model.to_constrained(point)
    y_l = point[model.layout["L"].slice]
    with jax.enable_x64(True):
        ldj_l = float(TRANSFORMS["corr_cholesky"].log_det_jacobian(y_l))
    r = v["L"][1, 0]
    # LKJ(2) on 2x2: r ~ Beta(2, 2) on (-1, 1), density (1 - r^2) * 3/4
    hand = np.log(0.75 * (1 - r * r)) + ldj_l
    hand += np.sum(stats.halfnorm.logpdf(v["tau"], scale=2.0) + np.log(v["tau"]))
    hand += np.sum(stats.norm.logpdf(v["mu"], 0.0, 3.0))
    cov = v["chol"] @ v["chol"].T
    hand += np.sum(stats.multivariate_normal(v["mu"], cov).logpdf(Y))
    assert model.logp(point) == pytest.approx(hand, rel=1e-10)


def test_init_values_are_constrained_values_of_any_shape():
    model = exmc.compile_model(_mv_model())
    L0 = np.array([[1.0, 0.0], [0.6, 0.8]])
    point = model.initial_point(seed=0, init_values={"L": L0, "tau": [1.0, 2.0]})
    values = model.to_constrained(point)
    np.testing.assert_allclose(values["L"], L0, atol=1e-12)
    np.testing.assert_allclose(values["tau"], [1.0, 2.0], atol=1e-12)


def test_pointwise_log_likelihood_is_one_value_per_event():
    ir = _mv_model()
    posterior = {
        "L": np.broadcast_to(np.array([[1.0, 0.0], [0.6, 0.8]]), (2, 3, 2, 2)),
        "tau": np.broadcast_to([1.0, 1.5], (2, 3, 2)),
        "mu": np.random.default_rng(1).normal(size=(2, 3, 2)),
    }
    ll = log_likelihood(ir, posterior)["y_obs"]
    assert ll.shape == (2, 3, 12)
    chol = np.array([1.0, 1.5])[:, None] * np.array([[1.0, 0.0], [0.6, 0.8]])
    want = stats.multivariate_normal(posterior["mu"][1, 2], chol @ chol.T).logpdf(Y)
    np.testing.assert_allclose(ll[1, 2], want, rtol=1e-10)


def test_multinomial_and_categorical_pointwise_and_posterior_predictive():
    counts = np.array([[3.0, 2.0, 5.0], [1.0, 1.0, 8.0], [4.0, 4.0, 2.0], [0.0, 5.0, 5.0]])
    cats = np.array([0.0, 2.0, 2.0, 1.0, 0.0])
    ir = (
        Builder.new_ir()
        .rv("p", exmc.Dirichlet, {"a": np.ones(3)})
        .rv("y", exmc.Multinomial, {"n": 10.0, "p": "p"})
        .obs("y_obs", "y", counts)
        .rv("c", exmc.Categorical, {"p": "p"})
        .obs("c_obs", "c", cats)
    )
    trace = exmc.sample(ir, draws=60, tune=200, chains=2, seed=0, progressbar=False)  # a preview: not checked
    p = trace.posterior["p"]
    assert p.shape == (2, 60, 3)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-12)
    ll = log_likelihood(ir, trace.posterior)
    assert ll["y_obs"].shape == (2, 60, 4) and ll["c_obs"].shape == (2, 60, 5)
    np.testing.assert_allclose(ll["y_obs"][0, 7], stats.multinomial.logpmf(counts, 10, p[0, 7]), rtol=1e-10)
    np.testing.assert_allclose(ll["c_obs"][1, 3], np.log(p[1, 3][cats.astype(int)]), rtol=1e-10)
    with warnings.catch_warnings():  # 60 draws: Pareto k is noisy; the count is what is tested
        warnings.simplefilter("ignore", exmc.ModelComparisonWarning)
        assert exmc.loo(trace, ir, var_name="y_obs").n_data_points == 4
    trace = exmc.sample_posterior_predictive(ir, trace, seed=0)
    new = trace.posterior_predictive["y_obs"]
    assert new.shape == (2, 60, 4, 3) and np.all(new.sum(-1) == 10.0)
    assert set(np.unique(trace.posterior_predictive["c_obs"])) <= {0.0, 1.0, 2.0}


def test_prior_predictive_draws_whole_events():
    ir = _mv_model()
    prior = exmc.sample_prior_predictive(ir, draws=200, seed=0)
    L = prior.prior["L"]
    assert L.shape == (1, 200, 2, 2)
    np.testing.assert_allclose(np.sum(L * L, -1), 1.0, rtol=1e-12)
    assert np.all(L[..., 0, 1] == 0.0)
    assert prior.prior_predictive["y_obs"].shape == (1, 200, 12, 2)


def test_summary_and_arviz_label_matrix_elements():
    ir = Builder.new_ir().rv("L", exmc.LKJCholesky, {"n": 3, "eta": 2.0})
    trace = exmc.sample(ir, draws=60, tune=200, chains=2, seed=0, progressbar=False)
    table = exmc.summary(trace)
    assert "L[1, 0]" in table.index and "L[2, 1]" in table.index
    assert trace.posterior["L"].shape == (2, 60, 3, 3)
    assert trace.to_arviz().posterior["L"].shape == (2, 60, 3, 3)


def test_general_mixture_with_references_compiles_to_the_hand_written_density():
    data = np.array([-2.0, 0.1, 3.0, 8.0])
    ir = (
        Builder.new_ir()
        .rv("w", exmc.Dirichlet, {"a": np.ones(2)})
        .rv("m", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("s", exmc.HalfNormal, {"sigma": 2.0})
        .rv("y", exmc.Mixture, {"w": "w", "components": [
            (exmc.Normal, {"mu": "m", "sigma": 1.0}), (exmc.StudentT, {"nu": 3.0, "mu": 0.0, "sigma": "s"})]})
        .obs("y_obs", "y", data)
    )
    model = exmc.compile_model(ir)
    point = model.initial_point(seed=2)
    v = model.to_constrained(point)
    like = np.logaddexp(np.log(v["w"][0]) + stats.norm.logpdf(data, v["m"], 1.0),
                        np.log(v["w"][1]) + stats.t.logpdf(data, 3.0, 0.0, v["s"])).sum()
    terms = model.logp_terms(point)
    assert terms["y_obs"] == pytest.approx(like, rel=1e-10)
    ll = log_likelihood(ir, {k: np.asarray(v[k])[None, None] for k in ("w", "m", "s")})["y_obs"]
    assert ll.shape == (1, 1, 4) and ll.sum() == pytest.approx(like, rel=1e-10)
