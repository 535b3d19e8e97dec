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


class _Stable:
    """scipy's logcdf below ``median`` and logsf above it (each where scipy computes it from
    its own small tail), the other side as log(1 - e^that): a reference for families whose
    scipy logcdf is log(cdf) of a cdf rounded to 1 far in the upper tail (Student-t's)."""

    def __init__(self, logcdf, logsf, median):
        self._logcdf, self._logsf, self._median = logcdf, logsf, median

    def logcdf(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):  # np.where computes both sides
            return np.where(x <= self._median, self._logcdf(x), _log1m_exp(self._logsf(x)))

    def logsf(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > self._median, self._logsf(x), _log1m_exp(self._logcdf(x)))


def _student(nu, mu, sigma):
    ref = stats.t(nu, mu, sigma)
    return _Stable(ref.logcdf, ref.logsf, mu)


def _half_student(nu, sigma):
    # |T| <= x: the beta distribution of t^2 / (nu + t^2), Beta(1/2, nu/2) (scipy's betainc,
    # Boost's, accurate in both tails), its survival 2 P(T > x)
    def logsf(x):
        return np.log(2.0) + stats.t(nu, 0.0, sigma).logsf(x)

    def logcdf(x):
        z2 = (x / sigma) ** 2 / nu
        return stats.beta(0.5, 0.5 * nu).logcdf(z2 / (1.0 + z2))

    return _Stable(logcdf, logsf, stats.t(nu, 0.0, sigma).ppf(0.75))


def _skew(mu, sigma, alpha):
    ref = stats.skewnorm(alpha, mu, sigma)
    return _Stable(ref.logcdf, ref.logsf, ref.median())


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
    # decision 62: the incomplete beta function differentiable in its shapes
    pytest.param(exmc.Beta, {"alpha": 2.5, "beta": 0.7}, lambda alpha, beta: stats.beta(alpha, beta),
                 [1e-100, 1e-10, 1e-3, 0.2, 0.5, 0.9, 0.999, 1 - 1e-9], id="Beta"),
    pytest.param(exmc.Beta, {"alpha": 50.0, "beta": 30.0}, lambda alpha, beta: stats.beta(alpha, beta),
                 [0.05, 0.2, 0.5, 0.6, 0.625, 0.65, 0.9, 0.999], id="Beta-50-30"),
    pytest.param(exmc.Beta, {"alpha": 0.02, "beta": 0.05}, lambda alpha, beta: stats.beta(alpha, beta),
                 [1e-300, 1e-30, 1e-3, 0.3, 0.5, 0.9, 1 - 1e-6], id="Beta-small-shapes"),
    pytest.param(exmc.StudentT, {"nu": 3.0, "mu": 1.0, "sigma": 2.0}, _student,
                 [-1e15, -1e6, -30.0, -1.0, 0.9, 1.0, 1.1, 4.0, 30.0, 1e6, 1e15], id="StudentT"),
    pytest.param(exmc.StudentT, {"nu": 0.3, "mu": 0.0, "sigma": 1.0}, _student,
                 [-1e100, -1e10, -3.0, -1e-8, 0.0, 1e-8, 3.0, 1e10, 1e100], id="StudentT-nu=0.3"),
    pytest.param(exmc.StudentT, {"nu": 200.0, "mu": 0.0, "sigma": 1.0}, _student,
                 [-35.0, -8.0, -2.0, -0.01, 0.0, 0.5, 3.0, 8.0, 35.0], id="StudentT-nu=200"),
    # decision 62: Owen's T by quadrature (scipy: Boost's Owen's T, its own quadrature in the
    # lower tail for alpha > 0; it underflows to -inf before we do, so the points stop there)
    pytest.param(exmc.SkewNormal, {"mu": 1.0, "sigma": 2.0, "alpha": 4.0}, _skew,
                 # (where scipy's cdf < 1e-6 for alpha > 0, its generic numerical integration is
                 # off by up to 1e-4 relative: there the quadrature test below is the reference)
                 [-0.5, 0.0, 0.5, 1.0, 1.5, 3.0, 8.0, 20.0, 60.0], id="SkewNormal"),
    pytest.param(exmc.SkewNormal, {"mu": 0.0, "sigma": 1.0, "alpha": -0.7}, _skew,
                 [-30.0, -8.0, -2.0, -0.3, 0.0, 0.4, 2.0, 5.0, 12.0], id="SkewNormal-alpha=-0.7"),
    pytest.param(exmc.SkewNormal, {"mu": 0.0, "sigma": 1.0, "alpha": 25.0}, _skew,
                 [-0.05, -0.02, 0.0, 0.05, 0.5, 2.0, 6.0, 30.0], id="SkewNormal-alpha=25"),
    pytest.param(exmc.HalfStudentT, {"nu": 4.0, "sigma": 2.0}, _half_student,
                 [1e-300, 1e-10, 0.5, 2.0, 3.0, 40.0, 1e6, 1e15], id="HalfStudentT"),
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
    # decision 62: every continuous family has them now (Beta, the Student-t's and the skew
    # normal through exmc.dist.incomplete_beta and exmc.dist.owens_t)
    assert set(CONTINUOUS) == with_cdf


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
    "Beta": [1e-6, 0.01, 0.3, 0.7, 0.99, 0.9999],
    "Beta-50-30": [0.3, 0.5, 0.62, 0.7, 0.85],
    "Beta-small-shapes": [1e-20, 1e-3, 0.4, 0.9],
    "StudentT": [-1e4, -30.0, -1.0, 0.5, 1.5, 4.0, 1e3],
    "StudentT-nu=0.3": [-1e6, -3.0, -0.1, 0.2, 5.0, 1e8],
    "StudentT-nu=200": [-9.0, -2.0, 0.3, 2.0, 9.0],
    "HalfStudentT": [1e-3, 0.5, 3.0, 40.0, 1e4],
    "SkewNormal": [-8.0, -3.0, -0.5, 0.0, 1.0, 3.0, 8.0, 20.0],
    "SkewNormal-alpha=-0.7": [-10.0, -2.0, 0.0, 1.0, 4.0, 8.0],
    "SkewNormal-alpha=25": [-0.3, -0.1, -0.05, 0.0, 0.1, 1.0, 4.0],
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


@pytest.mark.parametrize("nu", [3e4, 1e5])
def test_student_t_with_large_nu_matches_scipy(nu):
    """Values near the fraction's switch point, where it needs the most terms (about 200 at
    a = nu / 2 = 5e4, decision 62). (Gradients in nu are checked at nu = 200 above: at
    nu >= 1e3 d/dnu log F is a difference of terms 1e3 times larger, so its float64
    rounding, ~1e-12 absolute, exceeds 1e-6 of it.)"""
    ref = _student(nu, 0.0, 1.0)
    x = np.array([-30.0, -8.0, -2.0, -0.3, -1e-3, 0.0, 0.5, 3.0, 8.0, 30.0])  # scipy underflows at 40
    params = {"nu": nu, "mu": 0.0, "sigma": 1.0}
    np.testing.assert_allclose(_eval(exmc.StudentT.logcdf, x, params), ref.logcdf(x), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_eval(exmc.StudentT.logccdf, x, params), ref.logsf(x), rtol=RTOL, atol=ATOL)


def _quad_log_mass(alpha, z, upper: bool):
    """log of the standard skew normal's mass below (above) z by adaptive quadrature of its
    density, scaled by the density at z (an independent reference for both tails)."""
    from scipy import integrate, special

    def log_density(t):
        return np.log(2.0) + stats.norm.logpdf(t) + special.log_ndtr(alpha * t)

    import warnings

    at = log_density(z)
    lo, hi = (z, np.inf) if upper else (-np.inf, z)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # where the density at z underflows or quad cannot reach 1e-13, no reference (NaN)
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            value, _ = integrate.quad(lambda t: np.exp(log_density(t) - at), lo, hi, epsabs=0.0, epsrel=1e-13, limit=500)
        except integrate.IntegrationWarning:
            return np.nan
        return np.log(value) + at if value > 0 else np.nan


@pytest.mark.parametrize("alpha", [-20.0, -3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0, 100.0])
def test_skew_normal_log_cdf_against_quadrature(alpha):
    """Both tails against quadrature of the density: each side's value where it is the
    small one (log F where F < 1/2, log S where S < 1/2), the other from it. (At z = +-30
    JAX's own log_ndtr is off by ~1e-10 relative in Phi, which bounds the agreement there.)"""
    z = np.array([-30.0, -8.0, -3.0, -1.5, -1.0, -0.2, 0.0, 0.3, 1.0, 3.0, 8.0])
    params = {"mu": 0.0, "sigma": 1.0, "alpha": alpha}
    got_f, got_s = _eval(exmc.SkewNormal.logcdf, z, params), _eval(exmc.SkewNormal.logccdf, z, params)
    checked = 0
    for i, zi in enumerate(z):
        ref_f, ref_s = _quad_log_mass(alpha, zi, False), _quad_log_mass(alpha, zi, True)
        if not (min(ref_f, ref_s) < np.log(0.5)):  # quad failed on the small side: no reference
            continue
        checked += 1
        if ref_f < ref_s:  # F is the small side: quadrature's relative accuracy is F's
            want_f, want_s = ref_f, _log1m_exp(ref_f)
        else:
            want_f, want_s = _log1m_exp(ref_s), ref_s
        if np.isfinite(want_f):
            np.testing.assert_allclose(got_f[i], want_f, rtol=RTOL, atol=ATOL, err_msg=f"logcdf z={zi}")
        if np.isfinite(want_s):
            np.testing.assert_allclose(got_s[i], want_s, rtol=RTOL, atol=ATOL, err_msg=f"logccdf z={zi}")
    assert checked >= 8, checked  # quad has a reference nearly everywhere (not at alpha z << -30)


def test_owens_t_against_scipy():
    from scipy import special

    from exmc.dist.owens_t import log_owens_t

    h = np.array([0.0, 0.1, 1.0, 3.0, 4.9, 5.1, 6.0, 10.0, 15.0])
    for a in [1e-3, 0.3, 0.99, 1.0, 1.5, 5.0, 50.0, 1e3]:
        got = np.exp(np.asarray(log_owens_t(jnp.asarray(h), jnp.full(h.shape, a))))
        np.testing.assert_allclose(got, special.owens_t(h, a), rtol=1e-13, err_msg=f"a={a}")
