"""dtype="float32": the sampler's arithmetic in single precision (exmc.sampler.precision)."""

from __future__ import annotations

import numpy as np
import pytest

import exmc
from exmc.diagnostics import ess


def conjugate():
    y = np.random.default_rng(0).normal(1.3, 0.7, size=1000)
    precision = 1 / 4.0 + len(y) / 0.7**2
    ir = (exmc.Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
          .rv("y", exmc.Normal, {"mu": "mu", "sigma": 0.7}).obs("y_obs", "y", y))
    return ir, (y.sum() / 0.7**2) / precision, precision**-0.5


def test_a_dtype_other_than_float64_or_float32_is_refused_and_so_is_float32_with_sharded_data():
    ir, _, _ = conjugate()
    with pytest.raises(exmc.SettingsError, match="dtype must be one of float64, float32"):
        exmc.sample(ir, dtype="float16", progressbar=False)
    with pytest.raises(exmc.SettingsError, match="float64 only"):
        exmc.sample(ir, dtype="float32", shard_data=True, progressbar=False)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["threads", "vectorized"])
def test_float32_sampling_passes_the_posterior_tests(layout):
    ir, mean, sd = conjugate()
    trace = exmc.sample(ir, draws=1000, tune=500, chains=4, seed=1, dtype="float32", chain_method=layout,
                        progressbar=False, checks=False)
    assert trace.attrs["dtype"] == "float32"
    assert trace.sample_stats["step_size"].dtype == np.float32  # the sampler ran in float32
    mu = trace.posterior["mu"]
    for value, truth, spread, what in ((mu, mean, sd, "mean"), (((mu - mean) / sd) ** 2, 1.0, np.sqrt(2.0), "variance")):
        tolerance = 5 * spread / np.sqrt(ess(value))
        assert abs(value.mean() - truth) < tolerance, f"{what}: |{value.mean()} - {truth}| >= {tolerance}"
    # float32 positions: the draws are float32 numbers (reported in float64)
    np.testing.assert_array_equal(mu, mu.astype(np.float32).astype(np.float64))
