"""Data are arguments of the compiled sampler (decision 57): sampling a model after set_data
with data of the same shapes compiles nothing, and its draws follow the new data, never the
old (no stale executable); another shape compiles anew."""

import jax
import numpy as np
import pytest

import exmc
from exmc import Builder

SMALL = dict(draws=150, tune=150, chains=2, progressbar=False, checks=False)


def location_model(y, x):
    """y_i ~ Normal(mu + x_i, 1), mu ~ Normal(0, 10): mu's posterior mean is known exactly."""
    return (
        Builder.new_ir()
        .data("x", x)
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 10.0})
        .det("m", lambda mu, x: mu + x, ["mu", "x"])
        .rv("y", exmc.Normal, {"mu": "m", "sigma": 1.0})
        .obs("y_obs", "y", y)
    )


def exact_mean(y, x):
    n = len(y)
    precision = n + 1 / 100
    return np.sum(y - x) / precision, np.sqrt(1 / precision)


@pytest.fixture
def compiles():
    events = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: events.append(event) if event.endswith("backend_compile_duration") else None
    )
    return events


def test_set_data_with_the_same_shapes_compiles_nothing_and_is_not_stale(compiles):
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    y = 2.0 + x + rng.normal(size=20)
    ir = location_model(y, x)
    first = exmc.sample(ir, seed=0, **SMALL)
    before = len(compiles)
    y2 = y + 10.0  # mu's posterior moves by about 10
    x2 = x * 0.5
    moved = ir.set_data(y_obs=y2, x=x2)
    second = exmc.sample(moved, seed=0, **SMALL)
    assert len(compiles) - before == 0
    for trace, (yy, xx) in ((first, (y, x)), (second, (y2, x2))):
        mean, sd = exact_mean(yy, xx)
        draws = trace.posterior["mu"]
        ess = exmc.diagnostics.ess(draws)
        assert abs(draws.mean() - mean) < 5 * sd / np.sqrt(ess)
        np.testing.assert_allclose(trace.posterior["m"], draws[..., None] + xx, rtol=1e-12)
    np.testing.assert_array_equal(second.observed_data["y_obs"], y2)
    assert first.attrs["model_fingerprint"] != second.attrs["model_fingerprint"]
    # the fitted model is unchanged by the other's run: sampling it again gives the same draws
    again = exmc.sample(ir, seed=0, **SMALL)
    np.testing.assert_array_equal(again.posterior["mu"], first.posterior["mu"])


def test_integer_data_set_again_compile_nothing(compiles):
    groups = np.array([0, 1, 2, 0, 1, 2])
    y = np.array([1.0, 2.0, 3.0, 1.2, 2.2, 2.9])
    ir = (
        Builder.new_ir()
        .data("g", groups)
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 5.0}, shape=3)
        .det("m", lambda a, g: a[g], ["a", "g"])
        .rv("y", exmc.Normal, {"mu": "m", "sigma": 0.5})
        .obs("y_obs", "y", y)
    )
    first = exmc.sample(ir, seed=1, **SMALL)
    before = len(compiles)
    swapped = exmc.sample(ir.set_data(g=np.array([2, 1, 0, 2, 1, 0])), seed=1, **SMALL)
    assert len(compiles) - before == 0
    # group 0's data moved to a[2]: the posterior means swap places
    np.testing.assert_allclose(swapped.posterior["a"].mean((0, 1))[::-1], first.posterior["a"].mean((0, 1)), atol=0.25)


def test_another_length_compiles_anew_and_samples(compiles):
    x = np.linspace(-1, 1, 10)
    ir = location_model(1.0 + x, x)
    exmc.sample(ir, seed=0, **SMALL)
    before = len(compiles)
    longer = ir.set_data(x=np.linspace(-1, 1, 14), y_obs=np.full(14, 3.0) + np.linspace(-1, 1, 14))
    trace = exmc.sample(longer, seed=0, **SMALL)
    assert len(compiles) - before > 0
    assert trace.posterior["m"].shape == (2, 150, 14)
    assert abs(trace.posterior["mu"].mean() - exact_mean(np.full(14, 3.0), np.zeros(14))[0]) < 0.3


def test_a_hierarchical_model_after_set_data_compiles_nothing_and_redecides_the_rewrite(compiles):
    """The non-centering decision reads the data (decision 21): it is made again for the new
    data, by a function compiled once per structure; a changed decision gets its own sampler."""
    sigma = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    ir = (
        Builder.new_ir()
        .data("s", sigma)
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("tau", exmc.HalfCauchy, {"beta": 5.0})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=8)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": "s"})
        .obs("y_obs", "y", y)
    )
    first = exmc.sample(ir, seed=0, **SMALL)
    before = len(compiles)
    second = exmc.sample(ir.set_data(y_obs=y + 1.0, s=sigma * 1.1), seed=0, **SMALL)
    assert len(compiles) - before == 0
    assert [r.aux for r in first.rewrites] == [r.aux for r in second.rewrites] == [("theta_raw",)]
    precise = exmc.sample(ir.set_data(s=np.full(8, 0.01)), seed=0, **SMALL)  # the data now pin theta down
    assert "kept centered" in precise.rewrites[0].detail and "theta_raw" not in precise.posterior
    np.testing.assert_allclose(precise.posterior["theta"].mean((0, 1)), y, atol=0.05)
