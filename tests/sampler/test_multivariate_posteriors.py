"""Sampling checks of the multivariate families against exact answers (decision 40), with
ESS-based tolerances: |mean - truth| < 5 sd / sqrt(ESS) (bulk ESS of the quantity itself, so
second moments are checked through det nodes), and simulation-based calibration of a
varying-slopes model with an LKJ prior.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import exmc
from exmc import Builder
from exmc.sampler import adapt
from exmc.sampler.chunk import make_chunk, make_init

pytestmark = pytest.mark.slow


def assert_mean(table, label: str, truth: float) -> None:
    row = table.loc[label]
    bound = 5.0 * row["sd"] / np.sqrt(row["ess_bulk"])
    assert abs(row["mean"] - truth) < bound, f"{label}: mean {row['mean']:.4f}, truth {truth:.4f}, bound {bound:.4f}"


def _run(ir, seed=0, **kw):
    kw = {"draws": 1000, "tune": 1000, "chains": 4, **kw}
    trace = exmc.sample(ir, seed=seed, progressbar=False, **kw)
    assert trace.sample_stats["diverging"].sum() == 0
    return trace, exmc.summary(trace)


@pytest.mark.parametrize("n, eta", [(3, 2.0), (4, 0.8)])
def test_lkj_prior_marginals_of_the_correlations(n, eta):
    ir = (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": n, "eta": eta})
        .det("C", lambda L: L @ L.T, ["L"])
        .det("C2", lambda L: (L @ L.T) ** 2, ["L"])
    )
    trace, table = _run(ir)
    b = eta - 1.0 + n / 2.0  # (C_ij + 1) / 2 ~ Beta(b, b): mean 0, E[C_ij^2] = 1 / (2b + 1)
    for i in range(1, n):
        for j in range(i):
            assert_mean(table, f"C[{i}, {j}]", 0.0)
            assert_mean(table, f"C2[{i}, {j}]", 1.0 / (2.0 * b + 1.0))
    r = trace.posterior["C"][..., n - 1, 0].ravel()
    # the whole marginal, thinned to about independent draws
    ess = table.loc[f"C[{n - 1}, 0]", "ess_bulk"]
    thinned = r[:: max(1, int(np.ceil(r.size / ess)))]
    assert stats.kstest((thinned + 1) / 2, stats.beta(b, b).cdf).pvalue > 0.001


def test_dirichlet_multinomial_conjugate_posterior():
    a = np.array([0.5, 1.0, 2.0, 4.0])
    counts = np.array([[3.0, 0.0, 5.0, 2.0], [1.0, 2.0, 4.0, 3.0], [0.0, 1.0, 6.0, 3.0]])
    ir = (
        Builder.new_ir()
        .rv("p", exmc.Dirichlet, {"a": a})
        .det("p2", lambda p: p**2, ["p"])
        .rv("y", exmc.Multinomial, {"n": 10.0, "p": "p"})
        .obs("y_obs", "y", counts)
    )
    _, table = _run(ir, seed=1)
    post = a + counts.sum(0)
    total = post.sum()
    for k in range(4):
        mean = post[k] / total
        assert_mean(table, f"p[{k}]", mean)
        assert_mean(table, f"p2[{k}]", mean * (post[k] + 1) / (total + 1))


def test_mvnormal_with_a_known_correlated_posterior():
    prior_cov = np.array([[4.0, 3.6, 0.0], [3.6, 4.0, 0.5], [0.0, 0.5, 2.0]])
    noise = np.array([[1.0, -0.9, 0.2], [-0.9, 1.0, 0.0], [0.2, 0.0, 0.5]])
    y = np.random.default_rng(2).multivariate_normal([1.0, 2.0, -1.0], noise, size=5)
    ir = (
        Builder.new_ir()
        .rv("x", exmc.MvNormal, {"mu": np.zeros(3), "cov": prior_cov})
        .det("xx", lambda x: jnp.outer(x, x), ["x"])
        .rv("y", exmc.MvNormal, {"mu": "x", "chol": np.linalg.cholesky(noise)})
        .obs("y_obs", "y", y)
    )
    _, table = _run(ir, seed=2)
    precision = np.linalg.inv(prior_cov) + len(y) * np.linalg.inv(noise)
    cov = np.linalg.inv(precision)
    mean = cov @ (np.linalg.inv(noise) @ y.sum(0))
    second = cov + np.outer(mean, mean)
    for i in range(3):
        assert_mean(table, f"x[{i}]", mean[i])
        for j in range(i + 1):
            assert_mean(table, f"xx[{i}, {j}]", second[i, j])
    assert abs(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])) > 0.5  # the posterior is correlated


def test_two_component_mixture_with_ordered_means_against_a_grid():
    rng = np.random.default_rng(3)
    w = np.array([0.4, 0.6])
    comp = rng.random(30) < w[1]
    y = np.where(comp, rng.normal(1.5, 1.0, 30), rng.normal(-1.0, 1.0, 30))
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 3.0}, shape=2, transform="ordered")
        .rv("y", exmc.NormalMixture, {"w": w, "mu": "mu", "sigma": 1.0})
        .obs("y_obs", "y", y)
    )
    _, table = _run(ir, seed=3)
    grid = np.linspace(-6.0, 6.0, 481)
    m0, m1 = np.meshgrid(grid, grid, indexing="ij")
    log_post = stats.norm.logpdf(m0, 0, 3) + stats.norm.logpdf(m1, 0, 3)
    for yi in y:  # one data point at a time: (G, G) arrays only
        log_post = log_post + np.logaddexp(np.log(w[0]) + stats.norm.logpdf(yi, m0, 1.0),
                                           np.log(w[1]) + stats.norm.logpdf(yi, m1, 1.0))
    log_post = np.where(m0 < m1, log_post, -np.inf)  # the ordered restriction
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    assert_mean(table, "mu[0]", float((weights * m0).sum()))
    assert_mean(table, "mu[1]", float((weights * m1).sum()))


# ---------------------------------------------------------------------------------------
# simulation-based calibration (Talts et al. 2018) of varying slopes with an LKJ prior
# ---------------------------------------------------------------------------------------

REPLICATIONS, TUNE, DRAWS, THIN, BINS = 200, 300, 400, 4, 10
GROUPS, PER_GROUP = 4, 5


def posterior_draws(model, obs_name, datasets, seed):
    """(replications, DRAWS // THIN) constrained draws, one chain each, every replication
    in one vmapped compilation (as tests/sampler/test_sbc.py)."""
    schedule = adapt.schedule_for("stan", TUNE)
    q0 = np.stack([model.initial_point(seed, chain=r) for r in range(len(datasets))])

    def fit(key, data, start):
        def logp_and_grad(q):
            return jax.value_and_grad(model.logp_fn)(q, {obs_name: data})

        carry = make_init(logp_and_grad, "stan")(start)
        run = make_chunk(logp_and_grad, model.dim, TUNE + DRAWS, 10, "stan")
        _, out = run(jax.random.bits(key, dtype=jnp.uint64), carry, TUNE + DRAWS, schedule, 0.8)
        return jax.vmap(lambda x: model.evaluate(x, {obs_name: data})[1])(out["q"][TUNE::THIN])

    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.key(seed), len(datasets))
        values = jax.jit(jax.vmap(fit))(keys, jnp.asarray(datasets), jnp.asarray(q0))
        return {k: np.asarray(v) for k, v in values.items()}


def assert_uniform_ranks(truth, draws, what):
    ranks = (draws < truth[:, None]).sum(axis=1)
    counts = np.bincount(ranks * BINS // (draws.shape[1] + 1), minlength=BINS)
    p = stats.chisquare(counts).pvalue
    assert p > 0.001, f"{what}: ranks not uniform, p = {p:.2e}, counts {counts.tolist()}"


def test_sbc_varying_slopes_with_lkj():
    group = np.repeat(np.arange(GROUPS), PER_GROUP)
    x = np.tile(np.linspace(-1.0, 1.0, PER_GROUP), GROUPS)
    ir = (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0}, shape=2)
        .det("chol", lambda L, tau: tau[:, None] * L, ["L", "tau"])
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=2)
        .rv("ab", exmc.MvNormal, {"mu": "mu", "chol": "chol"}, shape=(GROUPS, 2))
        .det("mu_y", lambda ab: ab[group, 0] + ab[group, 1] * x, ["ab"])
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": 0.5})
        .obs("y_obs", "y", np.zeros(GROUPS * PER_GROUP))
    )
    model = exmc.compile_model(ir)
    # the truths, from the model's own prior sampler (itself checked against the theory)
    prior = exmc.sample_prior_predictive(ir, draws=REPLICATIONS, seed=12)
    truth = {k: v[0] for k, v in prior.prior.items()}
    datasets = prior.prior_predictive["y_obs"][0]
    draws = posterior_draws(model, "y_obs", datasets, seed=13)
    assert_uniform_ranks(truth["L"][:, 1, 0], draws["L"][..., 1, 0], "L[1, 0]")
    for k in range(2):
        assert_uniform_ranks(truth["tau"][:, k], draws["tau"][..., k], f"tau[{k}]")
        assert_uniform_ranks(truth["mu"][:, k], draws["mu"][..., k], f"mu[{k}]")
    for g in range(GROUPS):
        for k in range(2):
            assert_uniform_ranks(truth["ab"][:, g, k], draws["ab"][..., g, k], f"ab[{g}, {k}]")
