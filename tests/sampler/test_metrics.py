"""The dense and low-rank metrics: their algebra, their estimators, and sampling with them.

The metric's form is M^-1 = S (I + U diag(lam - 1) U^T) S (``integrator.LowRank``); the
kernel must sample N(0, M) momenta and move with M^-1 p, the estimators must recover a
Gaussian's covariance, and a strongly correlated Gaussian must be sampled right, with far
more effective draws per gradient than a diagonal metric gets.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc.diagnostics import ess
from exmc.sampler import adapt, chunk
from exmc.sampler.chunk import resolve
from exmc.sampler.integrator import LowRank, momentum, velocity


def random_low_rank(dim=6, rank=3, seed=0) -> tuple[LowRank, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = np.exp(rng.normal(size=dim))
    u, _ = np.linalg.qr(rng.normal(size=(dim, rank)))
    lam = np.exp(2.0 * rng.normal(size=rank))
    sigma = np.diag(s) @ (np.eye(dim) + u @ np.diag(lam - 1.0) @ u.T) @ np.diag(s)
    return LowRank(s, u, lam), sigma


def test_low_rank_velocity_and_momentum_match_the_dense_matrices():
    metric, sigma = random_low_rank()
    with jax.enable_x64(True):
        eye = np.eye(6)
        v = np.stack([np.asarray(velocity(metric, e)) for e in eye], axis=1)
        b = np.stack([np.asarray(momentum(metric, e)) for e in eye], axis=1)
    np.testing.assert_allclose(v, sigma, rtol=1e-10, atol=1e-12)
    # p = B z with z ~ N(0, I) has covariance B B^T, which must be M = Sigma^-1
    np.testing.assert_allclose(b @ b.T, np.linalg.inv(sigma), rtol=1e-8, atol=1e-10)


def test_spd_mean_solves_x_b_x_equals_a_and_is_a_for_a_gaussian():
    rng = np.random.default_rng(1)
    a = np.cov(rng.normal(size=(5, 40)))
    b = np.cov(rng.normal(size=(5, 40)))
    with jax.enable_x64(True):
        x = np.asarray(adapt.spd_mean(a, b))
        gaussian = np.asarray(adapt.spd_mean(a, np.linalg.inv(a)))
    np.testing.assert_allclose(x @ b @ x, a, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(x, x.T, atol=1e-10)
    np.testing.assert_allclose(gaussian, a, rtol=1e-8, atol=1e-10)


def correlated_cov(dim=5, seed=2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.normal(size=dim))
    corr = 0.9 * np.ones((dim, dim)) + 0.1 * np.eye(dim)
    return corr * np.outer(scales, scales)


def test_dense_metric_is_stans_regularised_window_covariance():
    cov = correlated_cov()
    n = 50.0
    window = adapt.WelfordCov(np.float64(n), np.zeros(5), cov * (n - 1.0))
    with jax.enable_x64(True):
        metric = adapt.dense_metric(window)
        sigma = np.stack([np.asarray(velocity(metric, e)) for e in np.eye(5)], axis=1)
    expected = (n / (n + 5.0)) * cov + 1e-3 * (5.0 / (n + 5.0)) * np.eye(5)
    np.testing.assert_allclose(sigma, expected, rtol=1e-9)


def test_low_rank_metric_recovers_a_gaussians_covariance_from_draws_and_gradients():
    """For a Gaussian, cov(draws) = Sigma and cov(gradients) = Sigma^-1; with many draws the
    shrinkage vanishes and the full-rank estimate is Sigma, the rank-2 one Sigma along its two
    directions farthest from the diagonal."""
    cov = correlated_cov()
    n = 1e9
    draws = adapt.WelfordCov(np.float64(n), np.zeros(5), cov * n)
    grads = adapt.WelfordCov(np.float64(n), np.zeros(5), np.linalg.inv(cov) * n)
    s = np.sqrt(np.sqrt(np.diag(cov) / np.diag(np.linalg.inv(cov))))
    with jax.enable_x64(True):
        full = adapt.low_rank_metric(draws, grads, s, rank=5, cutoff=1.0)
        sigma = np.stack([np.asarray(velocity(full, e)) for e in np.eye(5)], axis=1)
        low = adapt.low_rank_metric(draws, grads, s, rank=2)
    np.testing.assert_allclose(sigma, cov, rtol=1e-6)
    assert low.u.shape == (5, 2) and np.all(np.abs(np.log(np.asarray(low.lam))) > np.log(adapt.EIG_CUTOFF))


def test_auto_starts_diagonal_and_may_whiten_from_2_to_40_parameters():
    # decisions 81 and 83: "auto" compiles nutpie's diagonal; from 2 to 40 parameters warmup
    # may whiten the chains (a full-rank metric; decision 76: nothing below full rank)
    for dim in (1, 2, 12, 40, 41, 400):
        assert resolve("auto", dim) == ("nutpie", 0)
        assert chunk.auto_staged("auto", dim) == (2 <= dim <= 40)
    assert not chunk.auto_staged("nutpie", 12)
    assert chunk.auto_decision(1000) == 50 and chunk.auto_decision(200) == 40 and chunk.auto_decision(130) is None
    assert resolve("lowrank", 100) == ("lowrank", 16)
    assert resolve("dense", 7) == ("dense", 7)
    with pytest.raises(ValueError):
        resolve("auto:full", 3)


def test_the_condition_number_is_the_correlation_the_diagonal_metric_leaves():
    # a Gaussian's draws and exact gradients -Sigma^-1 x: scales alone leave condition 1, a
    # correlation rho between two coordinates leaves (1 + rho) / (1 - rho) = 19 at rho = 0.9
    rng = np.random.default_rng(0)
    scales = np.array([0.01, 1.0, 100.0])
    x = rng.normal(size=(4, 2000, 3)) * scales
    assert abs(adapt.whitening(x, -x / scales**2)[0] - 1.0) < 0.1
    cov = np.array([[1.0, 0.9 * 30], [0.9 * 30, 900.0]])
    x = rng.normal(size=(4, 2000, 2)) @ np.linalg.cholesky(cov).T
    assert abs(adapt.whitening(x, -x @ np.linalg.inv(cov))[0] / 19.0 - 1.0) < 0.1


def test_whitening_rounds_a_gaussian_and_whiten_maps_the_chain():
    # adapt.whitening's L: L L^T is the covariance estimated from draws and gradients (exact
    # for a Gaussian's exact gradients), so z = L^-1 q has unit covariance
    rng = np.random.default_rng(2)
    cov = np.array([[1.0, 0.9 * 30, 0.0], [0.9 * 30, 900.0, 0.0], [0.0, 0.0, 1e-4]])
    x = rng.normal(size=(4, 500, 3)) @ np.linalg.cholesky(cov).T
    condition, chol = adapt.whitening(x, -x @ np.linalg.inv(cov))
    assert condition > 8.0  # correlated 0.9: about 19
    z = np.linalg.solve(chol, x.reshape(-1, 3).T).T
    np.testing.assert_allclose(np.cov(z.T), np.eye(3), atol=0.1)
    assert adapt.whitening(np.zeros((1, 5, 2)), np.zeros((1, 5, 2))) == (np.inf, None)

    ir, _, _ = correlated_regression(dim=5)
    model = exmc.compile_model(ir)
    with jax.enable_x64(True):
        def logp_and_grad(q):
            return jax.value_and_grad(model.logp_fn)(q, model.data)

        q0 = jnp.asarray(np.random.default_rng(1).normal(size=5))
        start = chunk.make_init(logp_and_grad, "nutpie", 0, affine=True)(q0)
        run = jax.jit(chunk.make_chunk(logp_and_grad, 5, 40, 10, "nutpie", 0, affine=True))
        schedule = adapt.schedule_for("nutpie", 1000)
        carry, out = run(jnp.uint64(3), start, 40, schedule, jnp.float64(0.8))
        np.testing.assert_array_equal(np.asarray(carry.affine), np.eye(5))
        # the chunk kept each iteration's point and gradient, where the chain was
        np.testing.assert_array_equal(np.asarray(out["q"][39]), np.asarray(carry.state.q))
        np.testing.assert_array_equal(np.asarray(out["grad"][39]), np.asarray(carry.state.grad))
        chol = np.linalg.cholesky(np.linalg.inv(np.eye(5) + np.outer(np.arange(5.0), np.arange(5.0))))
        moved = chunk.whiten(jax.device_get(carry), chol)
        assert all(isinstance(a, np.ndarray | np.generic) for a in jax.tree.leaves(moved))  # numpy on the host
        q = np.asarray(carry.state.q)
        np.testing.assert_allclose(chol @ moved.state.q, q, rtol=1e-12)
        np.testing.assert_allclose(moved.state.grad, chol.T @ np.asarray(carry.state.grad), rtol=1e-12)
        assert moved.state.logp == carry.state.logp and bool(moved.search) and not bool(moved.metric_changed)
        np.testing.assert_array_equal(moved.inv_mass, np.ones(5))
        assert float(moved.welford.n) == 0 and float(moved.background[1].n) == 0
        # the whitened chain's log-density and gradient are those of q = chol z, and the
        # output's "q" is in the draws' coordinates
        logp, grad = chunk.whitened(logp_and_grad, jnp.asarray(chol))(jnp.asarray(moved.state.q))
        np.testing.assert_allclose(float(logp), float(carry.state.logp), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(grad), moved.state.grad, rtol=1e-10)
        after, out = run(jnp.uint64(3), moved, 5, schedule, jnp.float64(0.8))
        np.testing.assert_allclose(np.asarray(out["q"][4]), chol @ np.asarray(after.state.q), rtol=1e-12)
        np.testing.assert_allclose(float(out["lp"][4]), float(logp_and_grad(out["q"][4])[0]), rtol=1e-12)


def correlated_regression(dim=20, n=200, rho=0.95, seed=1):
    """beta ~ Normal(0, 10), y ~ Normal(X beta, 1), X's columns correlated rho: the posterior
    is exactly Gaussian, precision X^T X + I / 100, and strongly correlated."""
    rng = np.random.default_rng(seed)
    corr = rho * np.ones((dim, dim)) + (1.0 - rho) * np.eye(dim)
    X = rng.normal(size=(n, dim)) @ np.linalg.cholesky(corr).T
    y = X @ rng.normal(size=dim) + rng.normal(size=n)
    ir = (
        Builder.new_ir()
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 10.0}, shape=dim)
        .det("m", lambda b: X @ b, ["beta"])
        .rv("y", exmc.Normal, {"mu": "m", "sigma": 1.0})
        .obs("y_obs", "y", y)
    )
    cov = np.linalg.inv(X.T @ X + np.eye(dim) / 100.0)
    return ir, cov @ X.T @ y, cov


def assert_moment(draws, truth, what):
    tolerance = 5.0 * draws.std() / np.sqrt(ess(draws))
    assert abs(draws.mean() - truth) < tolerance, f"{what}: {draws.mean():.5f} vs {truth:.5f} (tol {tolerance:.5f})"


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["dense", "auto"])
def test_strongly_correlated_20d_gaussian_means_and_covariance(metric):
    ir, mean, cov = correlated_regression()
    trace = exmc.sample(ir, draws=1000, tune=1000, chains=4, seed=4, progressbar=False, metric=metric)
    beta = trace.posterior["beta"]  # (4, 1000, 20)
    centered = beta - mean
    for i in range(20):
        assert_moment(beta[..., i], mean[i], f"mean of beta[{i}]")
        for j in range(i, 20):
            assert_moment(centered[..., i] * centered[..., j], cov[i, j], f"cov[{i},{j}]")
    assert trace.attrs["metric_used"] == "dense (20 x 20)"


@pytest.mark.slow
def test_full_rank_metrics_need_far_fewer_gradients_than_the_diagonal():
    """On the correlated regression the diagonal metric needs about 10x the gradients per
    effective draw (measured: 11 ESS per 1000 gradients against 70 for dense and 100 for the
    low-rank estimator); at least 2x is demanded."""
    ir, _, _ = correlated_regression()
    model = exmc.compile_model(ir)
    per_grad = {}
    for metric in ("nutpie", "dense", "auto"):
        trace = exmc.sample(model, draws=1000, tune=1000, chains=4, seed=5, progressbar=False, metric=metric)
        grads = trace.sample_stats["n_steps"].sum() + trace.warmup_sample_stats["n_steps"].sum()
        per_grad[metric] = min(ess(trace.posterior["beta"][..., i]) for i in range(20)) / grads
    assert per_grad["dense"] > 2.0 * per_grad["nutpie"], per_grad
    assert per_grad["auto"] > 2.0 * per_grad["nutpie"], per_grad


@pytest.mark.slow
def test_auto_keeps_the_diagonal_for_an_uncorrelated_posterior():
    ir = Builder.new_ir().rv("x", exmc.Normal, {"mu": 0.0, "sigma": np.logspace(-2, 2, 10)})
    trace = exmc.sample(ir, draws=500, tune=1000, chains=4, seed=3, progressbar=False)
    assert trace.attrs["metric"] == "auto" and trace.attrs["metric_used"] == "diagonal"


def test_the_warmup_rows_give_the_co_moments_welford_accumulates():
    # below full rank the low-rank warmup keeps rows and forms the foreground's co-moments at a
    # refit (decision 75): they must be Welford's over the same last n draws, ring wrapped
    from exmc.sampler import chunk

    rng = np.random.default_rng(11)
    dim, total = 5, 300  # more draws than rows: the ring has wrapped
    xs, gs = rng.normal(size=(total, dim)) * [1.0, 10.0, 0.1, 3.0, 1.0], rng.normal(size=(total, dim))
    with jax.enable_x64(True):
        window = chunk.window_init(dim, jnp.float64, chunk.WINDOW_ROWS)
        window = chunk.window_record(window, jnp.int32(-1), xs[0], gs[0])
        for it in range(total - 1):
            window = chunk.window_record(window, jnp.int32(it), xs[it + 1], gs[it + 1])
        last = jnp.int32(total - 2)
        for n in (3, 90, 160, chunk.WINDOW_ROWS):
            draws, grads = chunk.window_stats(window, last, jnp.float64(n))
            for got, rows in ((draws, xs[-n:]), (grads, gs[-n:])):
                want = adapt.welford_cov_init(dim, jnp.float64)
                for row in rows:
                    want = adapt.welford_cov_update(want, row)
                assert float(got.n) == n
                np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12, atol=1e-14)
                np.testing.assert_allclose(got.m2, want.m2, rtol=1e-10, atol=1e-10)


def test_auto_that_keeps_the_diagonal_draws_what_nutpies_diagonal_draws():
    # decision 81: until it chooses, and after choosing the diagonal, "auto" runs nutpie's
    # warmup and transitions; the gradients it keeps change no arithmetic
    from exmc.demo import readme_model

    model = exmc.compile_model(readme_model())
    auto, nutpie = (exmc.sample(model, draws=100, tune=200, chains=2, seed=3, progressbar=False, checks=False, metric=m)
                    for m in ("auto", "nutpie"))
    assert auto.attrs["metric_choice"].startswith("nutpie's diagonal: condition number")
    assert nutpie.attrs["metric_choice"] == ""
    for name in ("mu", "sigma"):
        np.testing.assert_array_equal(auto.posterior[name], nutpie.posterior[name])
        np.testing.assert_array_equal(auto.warmup_posterior[name], nutpie.warmup_posterior[name])


def test_auto_resumed_before_at_or_after_its_choice_gives_the_draws_of_one_run(monkeypatch):
    # decision 81: "auto" chooses from the draws and gradients of warmup iterations 20-39
    # (tune 200); a state from before the choice carries the rows kept so far, one from the
    # choice's iteration chooses again (the same way), one from after it runs full rank
    from exmc.sampler import driver

    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # one iteration per batch
    ir, _, _ = correlated_regression(dim=5)
    model = exmc.compile_model(ir)
    settings = dict(tune=200, chains=2, seed=9, progressbar=False)
    whole = exmc.sample(model, draws=20, **settings)
    assert whole.attrs["metric_choice"].startswith("full rank: condition number")
    assert whole.attrs["metric_used"].startswith(("dense", "low-rank"))
    states = {}
    for batch in exmc.sample_stream(model, draws=20, **{k: v for k, v in settings.items() if k != "progressbar"}):
        if batch.state.iterations in (30, 40, 41):
            states[batch.state.iterations] = batch.state
        if batch.state.iterations == 41:
            break
    identity = np.eye(model.dim)
    np.testing.assert_array_equal(states[40].carries[0].affine, identity)  # it chooses after this batch
    assert not np.array_equal(states[41].carries[0].affine, identity)
    for iterations, state in states.items():
        resumed = exmc.sample(model, draws=20, resume=state, progressbar=False)
        np.testing.assert_array_equal(resumed.posterior["beta"], whole.posterior["beta"], err_msg=str(iterations))
        np.testing.assert_array_equal(resumed.warmup_posterior["beta"], whole.warmup_posterior["beta"][:, iterations:])
        assert resumed.attrs["metric_choice"] == whole.attrs["metric_choice"]
