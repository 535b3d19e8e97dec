"""Simulation-based calibration (Talts et al. 2018) of the whole sampler: warmup and NUTS.

For each replication: draw parameters from the prior, data from the likelihood, sample the
posterior with Exmc's own init, warmup and chunk code (data passed as an argument, so one
compilation serves every replication, all of them vmapped), and record the rank of each true
parameter among the thinned posterior draws. A calibrated sampler gives uniform ranks.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import exmc
from exmc import Builder
from exmc.sampler import adapt, chunk
from exmc.sampler.chunk import make_chunk, make_init, resolve

pytestmark = pytest.mark.slow

REPLICATIONS, TUNE, DRAWS, THIN, BINS = 200, 300, 400, 4, 10


def posterior_draws(model: exmc.CompiledModel, obs_name: str, datasets: np.ndarray, seed: int, metric: str = "auto"):
    """(replications, DRAWS // THIN) constrained draws of every value, one chain each.

    "auto" runs as the driver runs it (decisions 81, 83): nutpie's diagonal up to its
    decision iteration, then, replication by replication, on the draws or on the chain
    ``chunk.whiten`` moves to whitened coordinates, in the same chunk."""
    dim = model.dim
    kind, rank = resolve(metric, dim)
    schedule = adapt.schedule_for(kind, TUNE)
    q0 = np.stack([model.initial_point(seed, chain=r) for r in range(len(datasets))])
    staged = chunk.auto_staged(metric, dim)
    at = chunk.auto_decision(TUNE) if staged else 0
    total = TUNE + DRAWS

    def lg_for(data):
        return lambda q: jax.value_and_grad(model.logp_fn)(q, {obs_name: data})

    def fit(key, data, carry, n):
        run = make_chunk(lg_for(data), dim, total, 10, kind, rank, affine=staged)
        return run(jax.random.bits(key, dtype=jnp.uint64), carry, n, schedule, 0.8)

    def values(q, data):
        return jax.vmap(lambda x: model.evaluate(x, {obs_name: data})[1])(q[TUNE - at::THIN][: DRAWS // THIN])

    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.key(seed), len(datasets))
        data = jnp.asarray(datasets)
        starts = jax.vmap(lambda d, q: make_init(lg_for(d), kind, rank, staged)(q))(data, jnp.asarray(q0))
        carries, out = jax.jit(jax.vmap(fit, in_axes=(0, 0, 0, None)))(keys, data, starts, at if staged else total)
        if staged:
            rows = slice(at // 2, at)
            host, moved, whitened = jax.device_get(carries), [], 0
            for r in range(len(datasets)):
                carry = jax.tree.map(lambda x: x[r], host)
                condition, chol = adapt.whitening(out["q"][r:r + 1, rows], out["grad"][r:r + 1, rows])
                if condition >= chunk.AUTO_CONDITION and chol is not None:
                    carry, whitened = chunk.whiten(carry, chol), whitened + 1
                moved.append(carry)
            carries = jax.tree.map(lambda *xs: np.stack(xs), *moved)
            print(f"auto: whitened {whitened} of {len(datasets)} replications")
            _, out = jax.jit(jax.vmap(fit, in_axes=(0, 0, 0, None)))(keys, data, carries, total - at)
        return {k: np.asarray(v) for k, v in jax.jit(jax.vmap(values))(out["q"], data).items()}


def assert_uniform_ranks(truth: np.ndarray, draws: np.ndarray, what: str) -> None:
    """truth (replications,), draws (replications, L): chi-square on BINS bins of the ranks."""
    ranks = (draws < truth[:, None]).sum(axis=1)  # 0 .. L
    counts = np.bincount(ranks * BINS // (draws.shape[1] + 1), minlength=BINS)
    p = stats.chisquare(counts).pvalue
    assert p > 0.001, f"{what}: ranks not uniform, p = {p:.2e}, counts {counts.tolist()}"


def test_sbc_normal_with_unknown_mean_and_scale():
    rng = np.random.default_rng(1)
    mu = rng.normal(0.0, 2.0, REPLICATIONS)
    sigma = np.abs(rng.normal(0.0, 1.0, REPLICATIONS))
    y = rng.normal(mu[:, None], sigma[:, None], (REPLICATIONS, 10))
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("y_obs", "y", y[0])
    )
    draws = posterior_draws(exmc.compile_model(ir), "y_obs", y, seed=2)
    assert_uniform_ranks(mu, draws["mu"], "mu")
    assert_uniform_ranks(sigma, draws["sigma"], "sigma")


def test_sbc_beta_binomial():
    rng = np.random.default_rng(3)
    p = rng.beta(2.0, 2.0, REPLICATIONS)
    y = rng.binomial(20, p[:, None], (REPLICATIONS, 3)).astype(float)
    ir = (
        Builder.new_ir()
        .rv("p", exmc.Beta, {"alpha": 2.0, "beta": 2.0})
        .rv("y", exmc.Binomial, {"n": 20.0, "p": "p"})
        .obs("y_obs", "y", y[0])
    )
    draws = posterior_draws(exmc.compile_model(ir), "y_obs", y, seed=4)
    assert_uniform_ranks(p, draws["p"], "p")


@pytest.mark.parametrize("metric", ["stan", "nutpie", "dense", "lowrank", "auto"])
def test_sbc_hierarchical_model_through_the_noncentering_rewrite(metric):
    rng = np.random.default_rng(5)
    mu = rng.normal(0.0, 1.0, REPLICATIONS)
    tau = np.abs(rng.normal(0.0, 1.0, REPLICATIONS))
    theta = rng.normal(mu[:, None], tau[:, None], (REPLICATIONS, 4))
    y = rng.normal(theta, 1.0)
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=4)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": 1.0})
        .obs("y_obs", "y", y[0])
    )
    model = exmc.compile_model(ir)
    assert [r.node for r in model.rewrites] == ["theta"]
    draws = posterior_draws(model, "y_obs", y, seed=6, metric=metric)
    assert_uniform_ranks(mu, draws["mu"], "mu")
    assert_uniform_ranks(tau, draws["tau"], "tau")
    for j in range(4):
        assert_uniform_ranks(theta[:, j], draws["theta"][..., j], f"theta[{j}]")


@pytest.mark.parametrize("metric", ["dense", "lowrank", "auto"])
def test_sbc_regression_on_strongly_correlated_predictors(metric):
    """The posterior of beta is strongly correlated (predictors correlated 0.95): the dense
    and low-rank metrics are estimated from it, and must not bias the draws."""
    rng = np.random.default_rng(7)
    n, k = 20, 3
    corr = 0.95 * np.ones((k, k)) + 0.05 * np.eye(k)
    X = rng.normal(size=(n, k)) @ np.linalg.cholesky(corr).T
    beta = rng.normal(0.0, 1.0, (REPLICATIONS, k))
    sigma = np.abs(rng.normal(0.0, 1.0, REPLICATIONS))
    y = beta @ X.T + sigma[:, None] * rng.normal(size=(REPLICATIONS, n))
    ir = (
        Builder.new_ir()
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=k)
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .det("m", lambda b: X @ b, ["beta"])
        .rv("y", exmc.Normal, {"mu": "m", "sigma": "sigma"})
        .obs("y_obs", "y", y[0])
    )
    draws = posterior_draws(exmc.compile_model(ir), "y_obs", y, seed=8, metric=metric)
    assert_uniform_ranks(sigma, draws["sigma"], "sigma")
    for j in range(k):
        assert_uniform_ranks(beta[:, j], draws["beta"][..., j], f"beta[{j}]")
