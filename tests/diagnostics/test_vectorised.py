"""Diagnostics on (chain, draw, *shape) arrays: every quantity at once equals one at a time
(and so ArviZ, which the scalar forms are checked against), autocorrelation and E-BFMI
against ArviZ."""

import arviz as az
import numpy as np
import pytest

from exmc.diagnostics import autocorr, bfmi, ess, ess_bulk, ess_tail, hdi, mcse_mean, mcse_sd, rhat

RNG = np.random.default_rng(44)


def ar1(phi, shape, rng):
    e = rng.normal(size=shape)
    x = np.zeros(shape)
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def mixed_array(draws):
    """(4, draws, 3, 2): iid, autocorrelated, tied, heavy-tailed, shifted and constant quantities."""
    x = RNG.normal(size=(4, draws, 3, 2))
    x[..., 0, 1] = ar1(0.9, (4, draws), RNG)
    x[..., 1, 0] = RNG.poisson(1.5, size=(4, draws))
    x[..., 1, 1] = RNG.standard_t(2, size=(4, draws))
    x[..., 2, 0] += np.array([0.0, 0.0, 0.0, 1.0])[:, None]
    x[..., 2, 1] = 3.0
    return x


X = mixed_array(501)  # odd: split chains drop the middle draw
EVEN = mixed_array(500)
ELEMENTS = list(np.ndindex(3, 2))


@pytest.mark.parametrize("fn", [ess, ess_bulk, ess_tail, rhat, mcse_mean, mcse_sd])
def test_every_quantity_at_once_equals_one_at_a_time(fn):
    together = fn(X)
    assert together.shape == (3, 2)
    for index in ELEMENTS:
        alone = fn(X[(slice(None), slice(None)) + index])
        assert isinstance(alone, float)
        np.testing.assert_allclose(together[index], alone, rtol=1e-12, equal_nan=True)


def test_a_constant_quantity_has_no_ess_or_rhat():
    assert np.isnan(ess_bulk(X)[2, 1]) and np.isnan(rhat(X)[2, 1]) and np.isnan(ess(X)[2, 1])


@pytest.mark.parametrize("index", [i for i in ELEMENTS if i != (2, 1)])
@pytest.mark.parametrize("draws", ["odd", "even"])
def test_vector_results_match_arviz(index, draws):
    """With an odd number of draws ``az.rhat`` folds around the median of the split draws
    (the middle one dropped) while ``az.summary`` folds around the median of all draws, as the
    R package posterior does; Exmc does the latter everywhere, so R-hat is compared with
    ``az.rhat`` at even lengths (where both agree) and with ``az.summary`` at both."""
    array = X if draws == "odd" else EVEN
    x = array[(slice(None), slice(None)) + index]
    reference = az.summary(az.from_dict(posterior={"x": x}), round_to="none").loc["x"]
    assert rhat(array)[index] == pytest.approx(reference["r_hat"], rel=1e-10)
    if draws == "even":
        assert rhat(array)[index] == pytest.approx(float(az.rhat(x)), rel=1e-10)
    assert ess_bulk(array)[index] == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-10)
    assert ess_tail(array)[index] == pytest.approx(float(az.ess(x, method="tail")), rel=1e-10)


def test_hdi_of_many_quantities_equals_each():
    lower, upper = hdi(X, 0.9)
    for index in ELEMENTS:
        assert (lower[index], upper[index]) == hdi(X[(slice(None), slice(None)) + index], 0.9)


def test_autocorrelation_matches_arviz_per_chain():
    mine = autocorr(X)
    assert mine.shape == X.shape
    flat = X.reshape(4, 501, -1)
    for j in range(5):  # the constant quantity is NaN in both
        np.testing.assert_allclose(mine.reshape(4, 501, -1)[..., j], az.autocorr(flat[..., j], axis=1), atol=1e-12)
    assert np.all(mine[:, 0, :2] == 1.0) and np.all(mine[:, 0, 2, 0] == 1.0)


def test_autocorrelation_of_ar1_decays_geometrically():
    x = ar1(0.7, (2, 20000), np.random.default_rng(1))
    rho = autocorr(x, max_lag=3)
    assert rho.shape == (2, 4)
    # sd of a lag-k estimate is about sqrt((1 + phi^2) / (1 - phi^2) / n) < 0.02 here
    np.testing.assert_allclose(rho, np.broadcast_to(0.7 ** np.arange(4), (2, 4)), atol=0.05)


def test_bfmi_matches_arviz():
    energy = np.cumsum(RNG.normal(size=(4, 800)), axis=1) * 0.1 + RNG.normal(size=(4, 800))
    np.testing.assert_allclose(bfmi(energy), az.bfmi(energy), rtol=1e-12)


def test_bfmi_of_independent_energies_is_near_two_and_of_a_random_walk_near_zero():
    # E[(E_t - E_t-1)^2] = 2 var for independent draws; a random walk barely moves relative to its spread
    assert bfmi(RNG.normal(size=(2, 20000))) == pytest.approx([2.0, 2.0], abs=0.1)
    assert np.all(bfmi(np.cumsum(RNG.normal(size=(2, 5000)), axis=1)) < 0.05)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="chain, draw"):
        rhat(np.zeros(10))
    with pytest.raises(ValueError, match="energy"):
        bfmi(np.zeros((2, 3, 4)))
