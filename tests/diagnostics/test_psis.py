"""PSIS against ArviZ's psislw on the same log-ratios, and the Pareto fit against known shapes."""

import arviz as az
import numpy as np
import pytest

from exmc.diagnostics.psis import gpd_fit, psis, tail_length

RNG = np.random.default_rng(2017)


def log_ratios(kind: str) -> np.ndarray:
    if kind == "light":  # importance ratios of a near-identical proposal
        return RNG.normal(scale=0.3, size=(20, 2000))
    if kind == "heavy":  # log-ratios with an exponential tail: k about 1/scale
        return RNG.exponential(scale=[[0.3], [0.6], [0.9], [1.3]], size=(4, 3000))
    if kind == "ties":  # repeated draws, as NUTS makes when it keeps its point
        x = RNG.normal(size=(6, 1000))
        x[:, 500:] = x[:, :500]
        x[:, :50] = x[:, :1]
        return x
    if kind == "short":  # a tail of at most 4 draws cannot be fitted
        return RNG.normal(size=(3, 20))
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["light", "heavy", "ties", "short"])
@pytest.mark.parametrize("reff", [1.0, 0.3])
def test_smoothed_weights_and_k_match_arviz(kind, reff):
    x = log_ratios(kind)
    weights, k = psis(x, reff)
    ref_weights, ref_k = az.psislw(x.copy(), reff)
    np.testing.assert_allclose(k, ref_k, rtol=1e-10)
    # within a row, draws tied in value may trade their smoothed weights: compare sorted rows
    np.testing.assert_allclose(np.sort(weights, axis=1), np.sort(ref_weights, axis=1), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(np.exp(weights).sum(axis=1), 1.0, rtol=1e-12)


def test_short_tails_give_infinite_k():
    _, k = psis(log_ratios("short"))
    assert tail_length(20, 1.0) == 4 and np.all(np.isinf(k))


@pytest.mark.parametrize("shape", [0.2, 0.5, 0.9])
def test_the_pareto_fit_recovers_a_known_shape(shape):
    # 4000 draws from GPD(k, sigma = 1): the estimate's sd is about (1 + k) / sqrt(n) < 0.03
    u = RNG.uniform(size=(1, 4000))
    tail = np.sort(np.expm1(-shape * np.log1p(-u)) / shape, axis=1)
    k, sigma = gpd_fit(tail)
    assert k[0] == pytest.approx(shape, abs=0.1)
    assert sigma[0] == pytest.approx(1.0, rel=0.15)


def test_a_heavier_tail_gets_a_larger_k():
    _, k = psis(log_ratios("heavy"))
    assert np.all(np.diff(k) > 0) and k[-1] > 0.7
