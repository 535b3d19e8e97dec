"""A potential shapes the posterior NUTS samples: a Normal(0, 2) prior times the Gaussian
potential -(mu - 3)^2 / 2 is Normal with precision 1/4 + 1, mean 3 / 1.25 (decision 60)."""

import numpy as np
import pytest

import exmc
from exmc import Builder


@pytest.mark.slow
def test_normal_prior_times_a_gaussian_potential_is_the_known_normal():
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0}, shape=3)
        .potential("pull", lambda mu: -0.5 * (mu - 3.0) ** 2, ["mu"])
    )
    trace = exmc.sample(ir, draws=2000, tune=800, chains=4, seed=11, progressbar=False)
    precision = 1 / 4 + 1
    mean, sd = 3.0 / precision, np.sqrt(1 / precision)
    draws = trace.posterior["mu"]
    for i in range(3):
        ess = exmc.diagnostics.ess(draws[..., i])
        assert abs(draws[..., i].mean() - mean) < 5 * sd / np.sqrt(ess)
        assert draws[..., i].var() == pytest.approx(sd**2, rel=5 * np.sqrt(2 / ess))
    # the lp statistic includes the potential: lp at a draw = prior + potential there
    mu = draws[0, :5]
    expected = np.sum(-0.5 * (mu / 2.0) ** 2 - np.log(2.0 * np.sqrt(2 * np.pi)) - 0.5 * (mu - 3.0) ** 2, axis=-1)
    np.testing.assert_allclose(trace.sample_stats["lp"][0, :5], expected, rtol=1e-10)
