"""Rank-normalised split R-hat and bulk / tail ESS against ArviZ on the same arrays."""

import arviz as az
import numpy as np
import pytest

from exmc.diagnostics import ess_bulk, ess_tail, rhat


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
