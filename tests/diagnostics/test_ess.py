"""ESS against AR(1) chains: the theory, and ArviZ's 'mean' ESS on the same arrays."""

import arviz as az
import numpy as np
import pytest

from exmc.diagnostics import ess


def ar1(phi: float, chains: int = 4, draws: int = 4000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(chains, draws))
    x = np.zeros_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, -0.3])
def test_ess_of_ar1_chains_is_near_theory(phi):
    x = ar1(phi)
    theory = x.size * (1 - phi) / (1 + phi)
    assert ess(x) == pytest.approx(theory, rel=0.25)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, -0.3])
def test_ess_matches_arviz(phi):
    x = ar1(phi, seed=1)
    assert ess(x) == pytest.approx(float(az.ess(x, method="mean")), rel=1e-10)
