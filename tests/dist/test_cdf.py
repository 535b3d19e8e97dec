"""logcdf and logccdf against scipy's logcdf and logsf, into the tails, with gradients
against finite differences; the families without them say so.

Where scipy's own value is log(cdf) of a cdf that has rounded to 1 (its logcdf far in the
upper tail) the reference is the complement's stable form, named in the case's comment.
"""

from __future__ import annotations

import importlib.util
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import exmc
from exmc.dist import CONTINUOUS

pytestmark = pytest.mark.usefixtures("x64")

RTOL, ATOL = 1e-8, 1e-300


def _load_gradient_checker():
    """test_distributions.py's five-point gradient checker (pytest's importlib mode puts no
    test folder on the path, so it is loaded from its file)."""
    path = pathlib.Path(__file__).with_name("test_distributions.py")
    spec = importlib.util.spec_from_file_location("_exmc_test_distributions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._autodiff_and_fd, module.GRAD_RTOL


_autodiff_and_fd, GRAD_RTOL = _load_gradient_checker()


def _log1m_exp(v):
    """log(1 - e^v) for v <= 0, stably: the reference for a logcdf whose logsf is known."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v > -np.log(2.0), np.log(-np.expm1(v)), np.log1p(-np.exp(v)))


# family -> (frozen scipy distribution from the parameters, parameters, x into both tails)
CASES = [
    pytest.param(exmc.Normal, {"mu": 1.0, "sigma": 2.0}, lambda mu, sigma: stats.norm(mu, sigma),
                 [-1e3, -80.0, -20.0, -1.0, 1.0, 3.0, 20.0, 80.0, 1e3], id="Normal"),
    pytest.param(exmc.HalfNormal, {"sigma": 2.0}, lambda sigma: stats.halfnorm(scale=sigma),
                 [1e-300, 1e-10, 1e-3, 0.5, 2.0, 10.0, 60.0, 1e3], id="HalfNormal"),
    pytest.param(exmc.Exponential, {"lam": 0.5}, lambda lam: stats.expon(scale=1 / lam),
                 [1e-300, 1e-10, 1e-3, 1.0, 10.0, 100.0, 1e3], id="Exponential"),
    pytest.param(exmc.Gamma, {"alpha": 2.5, "beta": 0.5}, lambda alpha, beta: stats.gamma(alpha, scale=1 / beta),
                 [1e-100, 1e-10, 1e-3, 1.0, 5.0, 30.0, 200.0, 1e3], id="Gamma"),
    pytest.param(exmc.Gamma, {"alpha": 0.01, "beta": 3.0}, lambda alpha, beta: stats.gamma(alpha, scale=1 / beta),
                 [1e-300, 1e-30, 1e-3, 0.1, 2.0, 50.0], id="Gamma-alpha=0.01"),
    pytest.param(exmc.Gamma, {"alpha": 300.0, "beta": 2.0}, lambda alpha, beta: stats.gamma(alpha, scale=1 / beta),
                 [10.0, 100.0, 140.0, 150.0, 160.0, 250.0, 600.0], id="Gamma-alpha=300"),
    pytest.param(exmc.Uniform, {"lower": -2.0, "upper": 3.0}, lambda lower, upper: stats.uniform(lower, upper - lower),
                 # 1e-6 from the ends: at 1e-12 scipy's 1 - (x - lower) / width loses 4 digits
                 [-2.0 + 1e-6, -1.0, 0.0, 2.9, 3.0 - 1e-6], id="Uniform"),
    pytest.param(exmc.Cauchy, {"alpha": 1.0, "beta": 2.0}, lambda alpha, beta: stats.cauchy(alpha, beta),
                 [-1e15, -1e6, -30.0, 0.0, 1.0, 4.0, 1e6, 1e15], id="Cauchy"),
    pytest.param(exmc.HalfCauchy, {"beta": 2.0}, lambda beta: stats.halfcauchy(scale=beta),
                 [1e-300, 1e-10, 0.5, 2.0, 40.0, 1e6, 1e15], id="HalfCauchy"),
    pytest.param(exmc.LogNormal, {"mu": 0.5, "sigma": 1.5}, lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)),
                 [1e-200, 1e-10, 0.1, 1.0, 10.0, 1e10, 1e100], id="LogNormal"),
    pytest.param(exmc.InverseGamma, {"alpha": 3.0, "beta": 2.0}, lambda alpha, beta: stats.invgamma(alpha, scale=beta),
                 [1e-3, 0.05, 0.5, 1.0, 10.0, 1e3, 1e8], id="InverseGamma"),
    pytest.param(exmc.Weibull, {"alpha": 1.5, "beta": 2.0}, lambda alpha, beta: stats.weibull_min(alpha, scale=beta),
                 [1e-200, 1e-10, 0.1, 2.0, 10.0, 100.0, 500.0], id="Weibull"),
    pytest.param(exmc.Laplace, {"mu": 1.0, "b": 2.0}, lambda mu, b: stats.laplace(mu, b),
                 [-1e3, -30.0, -1.0, 1.0, 1.0 + 1e-12, 3.0, 30.0, 1e3], id="Laplace"),
    pytest.param(exmc.Logistic, {"mu": 1.0, "s": 2.0}, lambda mu, s: stats.logistic(mu, s),
                 [-1e4, -100.0, -1.0, 1.0, 3.0, 100.0, 1e4], id="Logistic"),
]


def _eval(fn, x, params):
    return np.asarray(fn(jnp.asarray(np.asarray(x, dtype=np.float64)), **{k: jnp.asarray(v) for k, v in params.items()}))


@pytest.mark.parametrize("dist, params, frozen, x", CASES)
def test_logcdf_and_logccdf_match_scipy(dist, params, frozen, x):
    ref = frozen(**params)
    x = np.asarray(x, dtype=np.float64)
    want_ccdf = ref.logsf(x)
    want_cdf = ref.logcdf(x)
    got_cdf, got_ccdf = _eval(dist.logcdf, x, params), _eval(dist.logccdf, x, params)
    np.testing.assert_allclose(got_ccdf, want_ccdf, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got_cdf, want_cdf, rtol=RTOL, atol=ATOL)
    # the two are complements: log(e^a + e^b) = 0 wherever both are finite
    both = np.isfinite(got_cdf) & np.isfinite(got_ccdf)
    np.testing.assert_allclose(np.logaddexp(got_cdf, got_ccdf)[both], 0.0, atol=1e-14)


def test_cases_cover_every_family_with_a_cdf():
    with_cdf = {d for d in CONTINUOUS if d.has_cdf()}
    assert {case.values[0] for case in CASES} == with_cdf - {exmc.TruncatedNormal}  # tests/dist/test_wrappers.py
    # those without one: JAX's betainc has no shape derivative; the skew normal needs Owen's T
    assert set(CONTINUOUS) - with_cdf == {exmc.Beta, exmc.StudentT, exmc.HalfStudentT, exmc.SkewNormal}
    for d in set(CONTINUOUS) - with_cdf:
        with pytest.raises(NotImplementedError, match=d.__name__):
            d.logcdf(0.5, **{k: 1.0 for k in d.param_names()})


# Points for the gradients: inside the bulk and into the tails, where the log-CDF still
# moves (where it is flat to rounding, 0 or -inf, a difference cannot check anything).
GRAD_POINTS = {
    "Normal": [-30.0, -3.0, 0.5, 4.0, 9.0],
    "HalfNormal": [1e-3, 0.5, 3.0, 9.0],
    "Exponential": [1e-3, 0.5, 3.0, 30.0],
    "Gamma": [1e-3, 1.0, 5.0, 20.0],
    "Gamma-alpha=0.01": [1e-10, 1e-3, 0.1],
    "Gamma-alpha=300": [110.0, 140.0, 150.0, 160.0, 190.0],
    "Uniform": [-1.9, 0.0, 2.9],
    "Cauchy": [-1e3, -3.0, 0.5, 4.0, 1e3],
    "HalfCauchy": [1e-3, 0.5, 4.0, 1e3],
    "LogNormal": [1e-3, 0.5, 3.0, 100.0],
    "InverseGamma": [0.05, 0.5, 2.0, 30.0],
    "Weibull": [1e-3, 0.5, 3.0, 10.0],
    "Laplace": [-20.0, -1.0, 0.5, 2.0, 20.0],
    "Logistic": [-40.0, -1.0, 1.0, 3.0, 40.0],
}


class _AsLogp:
    """A family whose ``logp`` is another's logcdf or logccdf, for the gradient checker of
    tests/dist/test_distributions.py (five-point differences with a rounding floor)."""

    def __init__(self, dist, fn):
        self.logp, self.discrete = fn, False
        self.support, self.parametrizations = dist.support, dist.parametrizations


@pytest.mark.parametrize("dist, params, frozen, x", CASES)
def test_logcdf_gradients_match_finite_differences(dist, params, frozen, x, request):
    points = GRAD_POINTS[request.node.callspec.id]
    for fn in (dist.logcdf, dist.logccdf):
        for name, (grad, fd, floor) in _autodiff_and_fd(_AsLogp(dist, fn), params, points).items():
            what = (fn.__name__, name, grad, fd)
            assert np.all(np.isfinite(grad)), what
            # a point checks something where the difference's rounding floor is well below the
            # tolerance; where the function is flat to rounding (logcdf ~ 0 far above the
            # bulk) it cannot, and that point is left to the other function of the pair
            real = (floor <= 0.1 * GRAD_RTOL * np.abs(grad)) | ((grad == 0.0) & (fd == 0.0))
            assert real.sum() >= min(2, len(points)), what
            err = np.abs(grad - fd)[real]
            assert np.all(err <= GRAD_RTOL * np.abs(fd[real]) + floor[real]), what


def test_bounded_families_at_and_beyond_their_bounds():
    # 0 and -inf exactly, no NaN: what Censored and Truncated rely on
    x = jnp.asarray([-5.0, -2.0, 3.0, 7.0])
    assert np.asarray(exmc.Uniform.logcdf(x, -2.0, 3.0)).tolist() == [-np.inf, -np.inf, 0.0, 0.0]
    assert np.asarray(exmc.Uniform.logccdf(x, -2.0, 3.0)).tolist() == [0.0, 0.0, -np.inf, -np.inf]
