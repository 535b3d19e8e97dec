"""The layouts on 4 simulated CPU devices: run by ``tests/sampler/test_layouts.py`` in a
pytest of its own (JAX fixes its device count at its first computation, so these tests need a
process that asks for 4 devices before anything else). Its name does not match test_*.py:
the main pytest run does not collect it; ``python -m pytest tests/sampler/multidevice/on_4_devices.py``
runs it alone.
"""

from __future__ import annotations

import exmc

exmc.set_host_devices(4)  # before any JAX computation: importing jax or exmc starts none

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from exmc import Builder  # noqa: E402
from exmc.demo import eight_schools  # noqa: E402
from exmc.diagnostics import ess  # noqa: E402
from exmc.sampler import driver  # noqa: E402
from exmc.sampler.sharding import ShardedLogp, sharded_logp_and_grad  # noqa: E402

QUICK = dict(progressbar=False, checks=False)


def assert_moment(draws: np.ndarray, truth: float, sd: float, what: str) -> None:
    n_eff = ess(draws)
    tolerance = 5.0 * sd / np.sqrt(n_eff)
    error = abs(draws.mean() - truth)
    assert error < tolerance, f"{what}: |{draws.mean():.4f} - {truth:.4f}| >= {tolerance:.4f} (ESS {n_eff:.0f})"


def normal_model(n_rows: int, seed: int = 0):
    """mu ~ N(0, 2), y_i ~ N(mu, 0.7): conjugate, so the posterior is known exactly."""
    y = np.random.default_rng(seed).normal(1.3, 0.7, size=n_rows)
    prior_sd, noise = 2.0, 0.7
    precision = 1 / prior_sd**2 + n_rows / noise**2
    truth = ((y.sum() / noise**2) / precision, precision**-0.5)
    ir = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": prior_sd})
          .rv("y", exmc.Normal, {"mu": "mu", "sigma": noise}).obs("y_obs", "y", y))
    return ir, truth


def assert_sharded_equals_unsharded(model, points) -> None:
    """The sharded log-density and gradient equal the unsharded at relative 1e-12."""
    for point in points:
        value, grad = model.logp_and_grad(point)
        s_value, s_grad = sharded_logp_and_grad(model, point)
        assert abs(s_value - value) <= 1e-12 * abs(value)
        np.testing.assert_allclose(s_grad, grad, rtol=1e-12, atol=0)


def check_posterior(trace, truth):
    mu = trace.posterior["mu"]
    assert_moment(mu, truth[0], truth[1], "posterior mean")
    assert_moment(((mu - truth[0]) / truth[1]) ** 2, 1.0, np.sqrt(2.0), "posterior variance")


def test_four_devices_are_there():
    assert jax.device_count() == 4
    with pytest.raises(exmc.SettingsError, match="already started with 4"):
        exmc.set_host_devices(2)


def test_devices_with_one_chain_per_device_equal_threads_draw_for_draw():
    ir = eight_schools()
    threads = exmc.sample(ir, draws=150, tune=150, chains=4, seed=7, chain_method="threads", **QUICK)
    devices = exmc.sample(ir, draws=150, tune=150, chains=4, seed=7, chain_method="devices", **QUICK)
    assert threads.attrs["chain_method"] == "threads" and devices.attrs["chain_method"] == "devices"
    assert devices.attrs["devices"] == 4
    for name in threads.posterior:
        np.testing.assert_array_equal(devices.posterior[name], threads.posterior[name])
        np.testing.assert_array_equal(devices.warmup_posterior[name], threads.warmup_posterior[name])
    for stat in threads.sample_stats:
        np.testing.assert_array_equal(devices.sample_stats[stat], threads.sample_stats[stat])


@pytest.mark.parametrize("chains", [4, 8])
def test_the_chain_sharded_program_holds_no_all_reduce(chains):
    model = exmc.compile_model(eight_schools())
    runner = driver.kernels(model, 10, "auto").runner("devices", chains)
    hlo = runner.hlo()
    assert "while" in hlo  # the NUTS loop is in this text
    assert "all-reduce" not in hlo and "all-gather" not in hlo and "collective-permute" not in hlo


def test_the_data_sharded_program_holds_its_collective():
    """The HLO check above can fail: the data-sharded program has its all-gather."""
    ir, _ = normal_model(400)
    runner = driver.kernels(exmc.compile_model(ir), 10, "auto").runner("devices", 2, shard_data=True)
    assert "all-gather" in runner.hlo()


@pytest.mark.slow
def test_eight_chains_on_four_devices_pass_the_posterior_tests():
    ir, truth = normal_model(50, seed=1)
    trace = exmc.sample(ir, draws=1000, tune=500, chains=8, seed=3, chain_method="devices", **QUICK)
    assert trace.posterior["mu"].shape == (8, 1000)
    check_posterior(trace, truth)


@pytest.mark.slow
def test_vectorized_passes_the_posterior_tests():
    ir, truth = normal_model(50, seed=2)
    trace = exmc.sample(ir, draws=1000, tune=500, chains=4, seed=4, chain_method="vectorized", **QUICK)
    assert trace.attrs["chain_method"] == "vectorized"
    check_posterior(trace, truth)


def test_auto_is_threads_on_cpu_and_devices_for_sharded_data():
    ir, _ = normal_model(40)
    assert exmc.sample(ir, draws=5, tune=5, chains=4, **QUICK).attrs["chain_method"] == "threads"
    trace = exmc.sample(ir, draws=5, tune=5, chains=2, shard_data=True, **QUICK)
    assert trace.attrs["chain_method"] == "devices" and trace.attrs["sharded_data"] == ["y_obs"]


def test_chains_that_do_not_fill_the_devices_evenly_are_refused_before_sampling():
    ir, _ = normal_model(40)
    with pytest.raises(exmc.SettingsError, match="6 chains cannot be spread evenly over 4 devices"):
        exmc.sample(ir, draws=5, tune=5, chains=6, chain_method="devices", **QUICK)
    with pytest.raises(exmc.SettingsError, match='needs chain_method="devices"'):
        exmc.sample(ir, draws=5, tune=5, chains=4, chain_method="threads", shard_data=True, **QUICK)


@pytest.mark.parametrize("rows", [1000, 1003])  # 1003: three rows left over, summed on every device
def test_sharded_log_density_and_gradient_equal_the_unsharded(rows):
    rng = np.random.default_rng(5)
    y = rng.normal(1.0, 2.0, size=rows)
    counts = rng.poisson(3.0, size=(rows, 2)).astype(float)
    ir = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
          .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
          .rv("rate", exmc.Gamma, {"alpha": 2.0, "beta": 1.0}, shape=2)
          .rv("y", exmc.Normal, {"mu": "mu", "sigma": "sigma"}).obs("y_obs", "y", y)
          .rv("c", exmc.Poisson, {"mu": "rate"}).obs("c_obs", "c", counts))
    model = exmc.compile_model(ir)
    assert ShardedLogp(model, 4).names == ["y_obs", "c_obs"]
    assert_sharded_equals_unsharded(model, rng.normal(size=(3, model.dim)))


def test_an_observation_with_a_value_per_row_closed_over_by_a_det_node_stays_whole():
    rng = np.random.default_rng(6)
    x = rng.normal(size=100)
    y = 0.5 * x + rng.normal(size=100)
    ir = (Builder.new_ir().rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
          .det("mean", lambda b: b * x, "b")
          .rv("y", exmc.Normal, {"mu": "mean", "sigma": 1.0}).obs("y_obs", "y", y))
    with pytest.raises(exmc.SettingsError, match="'mu' has one value per row .* closed over by a det node"):
        ShardedLogp(exmc.compile_model(ir), 4)


def regression(rows: int, seed: int = 7):
    """A logistic regression with its design matrix and a group index as data nodes: the
    linear predictor is a det node with a value per row, the county effect is looked up."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    group = rng.integers(0, 5, size=rows)
    eta = 0.3 + X @ np.array([1.0, -0.5, 0.25]) + np.linspace(-0.5, 0.5, 5)[group]
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    return (Builder.new_ir()
            .data("X", X).data("group", group)
            .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
            .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=3)
            .rv("u", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=5)
            .det("eta", lambda a, X, b, u, g: a + X @ b + u[g], ["alpha", "X", "beta", "u", "group"])
            .rv("y", exmc.Bernoulli, {"logit_p": "eta"}).obs("y_obs", "y", y))


@pytest.mark.parametrize("rows", [1000, 1003])
def test_rows_of_data_nodes_split_with_the_observation_they_feed(rows):
    model = exmc.compile_model(regression(rows))
    split = ShardedLogp(model, 4)
    assert (split.names, split.data_names) == (["y_obs"], ["X", "group"])
    assert [a.shape[0] for a in split.split_rows] == [1000, 1000, 1000]
    assert [a.shape[0] for a in split.remainder.values()] == [rows - 1000] * 3
    assert_sharded_equals_unsharded(model, np.random.default_rng(8).normal(size=(3, model.dim)))


def test_data_that_is_not_used_row_by_row_stays_whole_and_says_why():
    rng = np.random.default_rng(9)
    x = rng.normal(size=200)
    y = 0.5 * x + rng.normal(size=200)
    base = Builder.new_ir().data("x", x).rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    centered = (base.det("mean", lambda b, x: b * (x - x.mean()), ["b", "x"])
                .rv("y", exmc.Normal, {"mu": "mean", "sigma": 1.0}).obs("y_obs", "y", y))
    with pytest.raises(exmc.SettingsError, match="x: det node 'mean' does not compute its rows one by one"):
        ShardedLogp(exmc.compile_model(centered), 4)
    prior = (base.det("scale", lambda x: x.std() + 0.1 * x[:0].sum(), ["x"])
             .det("mean", lambda b, x: b * x, ["b", "x"])
             .rv("s", exmc.HalfNormal, {"sigma": "scale"})
             .rv("y", exmc.Normal, {"mu": "mean", "sigma": "s"}).obs("y_obs", "y", y))
    with pytest.raises(exmc.SettingsError, match="x: det node 'scale' uses it whole"):
        ShardedLogp(exmc.compile_model(prior), 4)
    fixed = (base.det("mean", lambda b, x: b * x + jnp.linspace(0.0, 1.0, 200), ["b", "x"])  # a length written in
             .rv("y", exmc.Normal, {"mu": "mean", "sigma": 1.0}).obs("y_obs", "y", y))
    with pytest.raises(exmc.SettingsError, match="x: det node 'mean' cannot be computed from a slice of the rows"):
        ShardedLogp(exmc.compile_model(fixed), 4)
    # a second observation keeps its own rows together; the first still splits with its data
    other = rng.normal(size=3)
    both = (base.det("mean", lambda b, x: b * x, ["b", "x"])
            .rv("y", exmc.Normal, {"mu": "mean", "sigma": 1.0}).obs("y_obs", "y", y)
            .rv("z", exmc.Normal, {"mu": "b", "sigma": 1.0}).obs("z_obs", "z", other))
    split = ShardedLogp(exmc.compile_model(both), 4)
    assert (split.names, split.data_names) == (["y_obs"], ["x"])
    assert split.whole == {"z_obs": "its data has fewer than 4 rows"}


@pytest.mark.slow
def test_sampling_with_sharded_data_passes_the_posterior_tests_and_feeds_loo_and_predictive():
    ir, truth = normal_model(2002, seed=3)
    trace = exmc.sample(ir, draws=800, tune=400, chains=4, seed=8, shard_data=True, **QUICK)
    assert trace.attrs["chain_method"] == "devices" and trace.attrs["sharded_data"] == ["y_obs"]
    check_posterior(trace, truth)
    exmc.compute_log_likelihood(trace, ir)
    assert trace.log_likelihood["y_obs"].shape == (4, 800, 2002)
    assert np.isfinite(exmc.loo(trace).elpd)
    trace = exmc.sample_posterior_predictive(ir, trace, seed=1)
    assert trace.posterior_predictive["y_obs"].shape == (4, 800, 2002)


@pytest.mark.slow
def test_sampling_a_regression_whose_data_nodes_are_split_matches_threads_and_predicts_new_rows():
    ir = regression(2002)
    settings = dict(draws=500, tune=400, chains=4, **QUICK)
    trace = exmc.sample(ir, seed=2, shard_data=True, **settings)
    assert trace.attrs["sharded_data"] == ["y_obs", "X", "group"]
    reference = exmc.sample(ir, seed=3, chain_method="threads", **settings)
    for name in ("alpha", "beta", "u"):
        a, b = trace.posterior[name], reference.posterior[name]
        a, b = a.reshape(*a.shape[:2], -1), b.reshape(*b.shape[:2], -1)
        for i in range(a.shape[-1]):
            x, y = a[..., i], b[..., i]
            tolerance = 5 * np.sqrt(x.var() / ess(x) + y.var() / ess(y))
            assert abs(x.mean() - y.mean()) < tolerance, f"{name}[{i}]: {x.mean():.4f} vs {y.mean():.4f}"
    rng = np.random.default_rng(1)
    new = ir.set_data(X=rng.normal(size=(7, 3)), group=np.arange(7) % 5, y_obs=np.zeros(7, np.int64))
    pred = exmc.sample_posterior_predictive(new, trace, seed=1)
    assert pred.posterior_predictive["y_obs"].shape == (4, 500, 7)


@pytest.mark.parametrize("layout", ["devices", "vectorized"])
def test_stream_stop_and_more_draws_in_every_layout(layout, monkeypatch):
    """sample_stream gives sample's draws; a stopped stream resumed with +N draws gives the
    draws of one longer run (the dashboard's Stop and "+N draws")."""
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # one-iteration chunks
    ir = exmc.demo.readme_model()
    small = dict(tune=40, chains=4, seed=5, chain_method=layout)
    first = []
    for batch in exmc.sample_stream(ir, draws=60, **small):
        first.append(batch)
        if batch.phase == "sampling" and batch.done >= 10:
            break
    stopped_at = first[-1].done
    assert 10 <= stopped_at < 60 and first[-1].state.chain_method == layout
    more = list(exmc.sample_stream(ir, draws=25, resume=first[-1].state))
    model = exmc.compile_model(ir)
    joined = exmc.trace_from_batches(first + more, model)
    longer = exmc.sample(ir, draws=stopped_at + 25, **small, **QUICK)
    assert longer.attrs["chain_method"] == layout
    for name in longer.posterior:
        np.testing.assert_array_equal(joined.posterior[name], longer.posterior[name])
    for stat in longer.sample_stats:
        np.testing.assert_array_equal(joined.sample_stats[stat], longer.sample_stats[stat])
