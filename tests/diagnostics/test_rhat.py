"""Rank-normalised split R-hat and bulk / tail ESS against ArviZ on the same arrays."""

import arviz as az
import numpy as np
import pytest

from exmc.diagnostics import ess_bulk, ess_tail, hdi, mcse_mean, mcse_sd, rhat


def ar1(phi, shape, rng):
    e = rng.normal(size=shape)
    x = np.zeros(shape)
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


RNG = np.random.default_rng(2021)
ARRAYS = {
    "iid": RNG.normal(size=(4, 1000)),
    "autocorrelated": ar1(0.8, (4, 1000), RNG),
    # a shifted chain: short split chains whose autocorrelations stay positive to the end
    "one_chain_shifted": RNG.normal(size=(4, 500)) + np.array([0.0, 0.0, 0.0, 0.5])[:, None],
    "heavy_tails": RNG.standard_t(2, size=(4, 800)),
    "ties": RNG.poisson(2, size=(4, 600)).astype(float),
    "odd_length": RNG.normal(size=(3, 301)),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_rhat_matches_arviz(name):
    assert rhat(ARRAYS[name]) == pytest.approx(float(az.rhat(ARRAYS[name])), rel=1e-10)


@pytest.mark.parametrize("name", ARRAYS)
def test_ess_bulk_and_tail_match_arviz(name):
    x = ARRAYS[name]
    assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-10)
    assert ess_tail(x) == pytest.approx(float(az.ess(x, method="tail")), rel=1e-10)


def test_rhat_flags_a_chain_stuck_elsewhere():
    x = RNG.normal(size=(4, 500))
    x[3] += 3.0
    assert rhat(x) > 1.1 > rhat(RNG.normal(size=(4, 500)))


@pytest.mark.parametrize("name", ARRAYS)
def test_mcse_of_mean_and_sd_match_arviz(name):
    x = ARRAYS[name]
    assert mcse_mean(x) == pytest.approx(float(az.mcse(x, method="mean")), rel=1e-10)
    assert mcse_sd(x) == pytest.approx(float(az.mcse(x, method="sd")), rel=1e-10)


@pytest.mark.parametrize("name", ARRAYS)
@pytest.mark.parametrize("prob", [0.5, 0.94])
def test_hdi_matches_arviz(name, prob):
    # ArviZ reads a 2-d array as (draw, shape); the pooled draws are what hdi summarises
    np.testing.assert_array_equal(hdi(ARRAYS[name], prob), az.hdi(ARRAYS[name].ravel(), hdi_prob=prob))


def test_hdi_of_a_skewed_sample_is_narrower_than_the_central_interval():
    x = RNG.exponential(size=(4, 2000))
    low, high = hdi(x, 0.9)
    central = np.quantile(x, [0.05, 0.95])
    assert high - low < central[1] - central[0] and low < central[0]
