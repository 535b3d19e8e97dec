"""The 25 distributions: log-densities against scipy.stats, gradients against finite
differences and closed forms, numerical stability in the tails, samplers against scipy, and
the metadata the builder and compiler rely on.

Every JAX computation here runs under float64 (the ``x64`` fixture, applied module-wide).
Parameters are passed as float64 arrays, as the builder stores constants.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import exmc
from exmc.constraints import Constraint
from exmc.dist import CONTINUOUS, DISCRETE, Distribution
from exmc.transforms import Transform, default_transform

pytestmark = pytest.mark.usefixtures("x64")

EPS = np.finfo(np.float64).eps
LOGP_RTOL = 1e-8
LOGP_ATOL = 1e-12

ALL = CONTINUOUS + DISCRETE


def _fmt(v) -> str:
    return f"{v:g}"


def _as_arrays(params: dict, x):
    """Broadcast layout shared by the logp tests: list-valued params become columns (P, 1)
    so they broadcast against x (X,) or (P, X); scalars stay 0-d."""
    out = {}
    for name, value in params.items():
        a = np.asarray(value, dtype=np.float64)
        out[name] = a[:, None] if a.ndim == 1 else a
    return out, np.asarray(x, dtype=np.float64)


# ---------------------------------------------------------------------------------------
# logp against scipy.stats
# ---------------------------------------------------------------------------------------

def _zero_inflated(x, psi, counts):
    """scipy has no zero-inflated families: the mixture written out, a sum of positive
    terms at 0 (psi = 0 gives log 0 = -inf for counts, as it should)."""
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.log((1 - psi) + psi * counts.pmf(0)), np.log(psi) + counts.logpmf(x))


# scipy reference for each (distribution, parametrization), with the parameter mapping.
SCIPY_LOGP = {
    "Normal": lambda x, mu, sigma: stats.norm.logpdf(x, mu, sigma),
    "HalfNormal": lambda x, sigma: stats.halfnorm.logpdf(x, scale=sigma),
    "Exponential": lambda x, lam: stats.expon.logpdf(x, scale=1.0 / lam),  # lam is a rate
    "Gamma": lambda x, alpha, beta: stats.gamma.logpdf(x, alpha, scale=1.0 / beta),  # rate
    "Beta": lambda x, alpha, beta: stats.beta.logpdf(x, alpha, beta),
    "Uniform": lambda x, lower, upper: stats.uniform.logpdf(x, loc=lower, scale=upper - lower),
    "StudentT": lambda x, nu, mu, sigma: stats.t.logpdf(x, nu, loc=mu, scale=sigma),
    "Cauchy": lambda x, alpha, beta: stats.cauchy.logpdf(x, loc=alpha, scale=beta),
    "HalfCauchy": lambda x, beta: stats.halfcauchy.logpdf(x, scale=beta),
    "LogNormal": lambda x, mu, sigma: stats.lognorm.logpdf(x, sigma, scale=np.exp(mu)),
    "Bernoulli(p)": lambda x, p: stats.bernoulli.logpmf(x, p),
    "Bernoulli(logit_p)": lambda x, logit_p: stats.bernoulli.logpmf(x, special.expit(logit_p)),
    "Binomial(p)": lambda x, n, p: stats.binom.logpmf(x, n, p),
    "Binomial(logit_p)": lambda x, n, logit_p: stats.binom.logpmf(x, n, special.expit(logit_p)),
    "Poisson": lambda x, mu: stats.poisson.logpmf(x, mu),
    "InverseGamma": lambda x, alpha, beta: stats.invgamma.logpdf(x, alpha, scale=beta),
    "Weibull": lambda x, alpha, beta: stats.weibull_min.logpdf(x, alpha, scale=beta),
    "Laplace": lambda x, mu, b: stats.laplace.logpdf(x, mu, b),
    "Logistic": lambda x, mu, s: stats.logistic.logpdf(x, mu, s),
    # scipy has no half-t: twice the t density on the positive half-line
    "HalfStudentT": lambda x, nu, sigma: np.log(2.0) + stats.t.logpdf(x, nu, scale=sigma),
    "SkewNormal": lambda x, mu, sigma, alpha: stats.skewnorm.logpdf(x, alpha, mu, sigma),
    "TruncatedNormal": lambda x, mu, sigma, lower, upper: stats.truncnorm.logpdf(
        x, (lower - mu) / sigma, (upper - mu) / sigma, mu, sigma
    ),
    "NegativeBinomial": lambda x, mu, alpha: stats.nbinom.logpmf(x, alpha, alpha / (alpha + mu)),
    "BetaBinomial": lambda x, alpha, beta, n: stats.betabinom.logpmf(x, n, alpha, beta),
    "Geometric": lambda x, p: stats.geom.logpmf(x, p),
    "ZeroInflatedPoisson": lambda x, psi, mu: _zero_inflated(x, psi, stats.poisson(mu)),
    "ZeroInflatedNegativeBinomial": lambda x, psi, mu, alpha: _zero_inflated(
        x, psi, stats.nbinom(alpha, alpha / (alpha + mu))
    ),
}


def _ref_key(dist, params) -> str:
    if dist in (exmc.Bernoulli, exmc.Binomial):
        return f"{dist.__name__}({'logit_p' if 'logit_p' in params else 'p'})"
    return dist.__name__


SHAPES = [1e-3, 0.5, 1.0, 3.0, 1e3]  # Gamma / Beta shapes, extremes included
GAMMA_X = np.logspace(-8, 3, 12)
BETA_X = [1e-10, 1e-6, 1e-3, 0.1, 0.5, 0.9, 1 - 1e-3, 1 - 1e-6, 1 - 1e-10]
T_X = [-1e8, -1e3, -30.0, -1.0, 0.0, 0.5, 2.0, 50.0, 1e6, 1e12]

LOGP_CASES = [
    # Normal: 30-sigma tails, tiny and huge scales
    pytest.param(exmc.Normal, {"mu": 0.0, "sigma": 1.0},
                 [-30.0, -5.0, -1.0, 0.0, 0.5, 1.0, 5.0, 30.0], id="Normal-standard-30sd"),
    pytest.param(exmc.Normal, {"mu": [-3.0, 0.0, 1e3], "sigma": [1e-3, 1.0, 1e3]},
                 [-1e3, -3.0, 0.0, 1.0, 1e3, 3e4], id="Normal-broadcast-scales"),
    # HalfNormal
    pytest.param(exmc.HalfNormal, {"sigma": 1.0},
                 [1e-10, 1e-3, 0.5, 1.0, 5.0, 30.0], id="HalfNormal-unit"),
    pytest.param(exmc.HalfNormal, {"sigma": [1e-3, 1.0, 1e3]},
                 [1e-10, 1e-3, 1.0, 1e3, 3e4], id="HalfNormal-broadcast-scales"),
    # Exponential (rate)
    pytest.param(exmc.Exponential, {"lam": 1.0},
                 [1e-10, 1e-3, 1.0, 10.0, 700.0], id="Exponential-unit"),
    pytest.param(exmc.Exponential, {"lam": [1e-3, 0.5, 1e3]},
                 [1e-10, 1e-3, 1.0, 1e3, 1e5], id="Exponential-broadcast-rates"),
    # Gamma: one case per shape, rates broadcast; x from 1e-8 to 1e3
    *[
        pytest.param(exmc.Gamma, {"alpha": a, "beta": [1e-3, 1.0, 1e3]}, GAMMA_X,
                     id=f"Gamma-alpha={_fmt(a)}-broadcast-beta")
        for a in SHAPES
    ],
    # Beta: one case per alpha, betas broadcast; x within 1e-10 of both ends
    *[
        pytest.param(exmc.Beta, {"alpha": a, "beta": SHAPES}, BETA_X,
                     id=f"Beta-alpha={_fmt(a)}-broadcast-beta")
        for a in SHAPES
    ],
    # Uniform: x strictly inside (scipy's support is closed; the bounds are tested below)
    pytest.param(exmc.Uniform, {"lower": -3.0, "upper": 7.0},
                 [-3.0 + 1e-12, -1.0, 0.0, 6.5, 7.0 - 1e-12], id="Uniform-(-3,7)"),
    pytest.param(exmc.Uniform, {"lower": [-3.0, 0.0, -1e6], "upper": [7.0, 1e-3, 1e6]},
                 [[-2.999, 0.0, 6.999], [1e-9, 5e-4, 9.99e-4], [-9.9e5, 0.0, 9.9e5]],
                 id="Uniform-broadcast-bounds"),
    # StudentT: far tails, nu from 0.1 to 1e6
    pytest.param(exmc.StudentT, {"nu": [0.1, 1.0, 3.0, 30.0, 1e3, 1e6], "mu": 0.5, "sigma": 2.0},
                 T_X, id="StudentT-broadcast-nu-far-tails"),
    pytest.param(exmc.StudentT, {"nu": 4.0, "mu": [-1e3, 0.0, 7.0], "sigma": [1e-3, 1.0, 1e3]},
                 T_X, id="StudentT-broadcast-loc-scale"),
    # Cauchy
    pytest.param(exmc.Cauchy, {"alpha": 0.0, "beta": 1.0},
                 [-1e10, -1e3, -1.0, 0.0, 1.0, 1e3, 1e10], id="Cauchy-standard"),
    pytest.param(exmc.Cauchy, {"alpha": [-2.0, 0.0, 1e3], "beta": [1e-3, 1.0, 1e3]},
                 [-1e10, -1e3, -1.0, 0.0, 1.0, 1e3, 1e10], id="Cauchy-broadcast"),
    # HalfCauchy (scale beta)
    pytest.param(exmc.HalfCauchy, {"beta": [1e-3, 1.0, 1e3]},
                 [1e-10, 1e-3, 1.0, 1e3, 1e10], id="HalfCauchy-broadcast-scales"),
    # LogNormal (s = sigma, scale = exp(mu))
    pytest.param(exmc.LogNormal, {"mu": 0.0, "sigma": 1.0},
                 [1e-10, 1e-3, 0.5, 1.0, 10.0, 1e10], id="LogNormal-standard"),
    pytest.param(exmc.LogNormal, {"mu": [-5.0, 0.0, 5.0], "sigma": [1e-2, 1.0, 5.0]},
                 [1e-10, 1e-3, 0.5, 1.0, 10.0, 1e10], id="LogNormal-broadcast"),
    # Bernoulli, both forms; p at the closed ends (log 0 = -inf where scipy says so)
    pytest.param(exmc.Bernoulli, {"p": [0.0, 1e-10, 0.3, 0.5, 1 - 1e-10, 1.0]}, [0.0, 1.0],
                 id="Bernoulli-p-broadcast-with-ends"),
    # expit is only an accurate reference while 1 - expit(l) keeps its digits (|l| small);
    # the large-|l| behaviour is tested against log_expit below.
    pytest.param(exmc.Bernoulli, {"logit_p": [-4.0, -1.0, 0.0, 1.0, 4.0]}, [0.0, 1.0],
                 id="Bernoulli-logit_p-broadcast"),
    # Binomial, both forms
    pytest.param(exmc.Binomial, {"n": 10.0, "p": [0.0, 1e-10, 0.3, 0.999, 1.0]},
                 np.arange(11.0), id="Binomial-p-n=10-broadcast-p"),
    pytest.param(exmc.Binomial, {"n": [1e6, 2e6], "p": [0.3, 1e-4]},
                 [0.0, 1.0, 100.0, 3e5, 1e6], id="Binomial-p-broadcast-large-n"),
    pytest.param(exmc.Binomial, {"n": 20.0, "logit_p": [-4.0, 0.0, 2.5]},
                 np.arange(21.0), id="Binomial-logit_p-n=20-broadcast"),
    # Poisson, mu from 0 (x = 0 has probability 1) to 1e6
    pytest.param(exmc.Poisson, {"mu": [0.0, 1e-3, 1.0, 10.0, 1e3, 1e6]},
                 [0.0, 1.0, 2.0, 10.0, 100.0, 1e3, 1e6], id="Poisson-broadcast-mu"),
    # InverseGamma: shapes from 1e-3 to 1e3, x from 1e-8 (the e^(-beta/x) wall) to 1e3
    *[
        pytest.param(exmc.InverseGamma, {"alpha": a, "beta": [1e-3, 1.0, 1e3]}, GAMMA_X,
                     id=f"InverseGamma-alpha={_fmt(a)}-broadcast-beta")
        for a in SHAPES
    ],
    # Weibull: shapes below and above 1, x far into both tails ((x / beta)^alpha up to ~700)
    pytest.param(exmc.Weibull, {"alpha": [0.2, 1.0, 3.5], "beta": [1e-2, 1.0, 50.0]},
                 [1e-10, 1e-3, 0.5, 1.0, 4.0, 120.0], id="Weibull-broadcast"),
    pytest.param(exmc.Weibull, {"alpha": [1e-2, 50.0], "beta": 2.0},
                 [1e-8, 1.0, 1.99, 2.0, 2.05, 2.5], id="Weibull-extreme-shapes"),
    # Laplace: 700 scales out; scipy's logpdf is log(pdf), -inf once e^-|z| underflows (745)
    pytest.param(exmc.Laplace, {"mu": [-3.0, 0.0, 1e3], "b": [1e-3, 1.0, 1e3]},
                 [[-3.7, -3.0 - 1e-6, -3.0, -2.9, -2.3], [-700.0, -3.0, 0.0, 1.0, 690.0],
                  [-6e5, -1e3, 1e3, 2e3, 7e5]], id="Laplace-broadcast"),
    # Logistic: scipy's logpdf is stable, so the far tails too
    pytest.param(exmc.Logistic, {"mu": [-3.0, 0.0, 1e3], "s": [1e-3, 1.0, 1e3]},
                 [-1e6, -30.0, -3.0, 0.0, 1.0, 1e3, 7e5], id="Logistic-broadcast"),
    # HalfStudentT: nu from 0.1 to 1e6, x up to 1e12
    pytest.param(exmc.HalfStudentT, {"nu": [0.1, 1.0, 3.0, 30.0, 1e3, 1e6], "sigma": 2.0},
                 [1e-10, 1e-3, 0.5, 2.0, 50.0, 1e6, 1e12], id="HalfStudentT-broadcast-nu"),
    pytest.param(exmc.HalfStudentT, {"nu": 4.0, "sigma": [1e-3, 1.0, 1e3]},
                 [1e-10, 1e-3, 0.5, 2.0, 50.0, 1e6], id="HalfStudentT-broadcast-sigma"),
    # SkewNormal: alpha z down to -40 (Phi(alpha z) ~ 1e-350: only a log_ndtr keeps it)
    pytest.param(exmc.SkewNormal, {"mu": 0.5, "sigma": 2.0, "alpha": [-8.0, -1.0, 0.0, 0.5, 4.0]},
                 [-20.0, -5.0, -1.0, 0.0, 0.5, 3.0, 10.0, 20.0], id="SkewNormal-broadcast-alpha"),
    pytest.param(exmc.SkewNormal, {"mu": [-1e3, 0.0, 7.0], "sigma": [1e-3, 1.0, 1e3], "alpha": 3.0},
                 [-1e3, -3.0, 0.0, 1.0, 7.0, 1e3], id="SkewNormal-broadcast-loc-scale"),
    # TruncatedNormal: across the median, far in one tail, a narrow interval
    pytest.param(exmc.TruncatedNormal, {"mu": [0.5, 0.0, 0.0], "sigma": [2.0, 1.0, 1.0],
                                        "lower": [-1.0, 5.0, -1e-4], "upper": [3.0, 12.0, 1e-4]},
                 [[-0.99, 0.0, 2.99], [5.001, 6.0, 11.0], [-9e-5, 0.0, 9e-5]], id="TruncatedNormal-broadcast"),
    # NegativeBinomial: dispersion from 1e-2 to 1e4 (towards the Poisson limit), counts to 1e5
    pytest.param(exmc.NegativeBinomial, {"mu": [1e-3, 1.0, 10.0, 1e4], "alpha": 1.5},
                 [0.0, 1.0, 5.0, 100.0, 1e4, 1e5], id="NegativeBinomial-broadcast-mu"),
    pytest.param(exmc.NegativeBinomial, {"mu": 7.0, "alpha": [1e-2, 0.5, 30.0, 1e4]},
                 [0.0, 1.0, 7.0, 60.0, 1e3], id="NegativeBinomial-broadcast-alpha"),
    # BetaBinomial
    pytest.param(exmc.BetaBinomial, {"alpha": [1e-2, 0.5, 2.0, 1e3], "beta": 3.0, "n": 20.0},
                 np.arange(21.0), id="BetaBinomial-n=20-broadcast-alpha"),
    pytest.param(exmc.BetaBinomial, {"alpha": 2.0, "beta": [0.5, 1e3], "n": [1e4, 1e5]},
                 [0.0, 1.0, 50.0, 5e3, 1e4], id="BetaBinomial-large-n"),
    # Geometric, p from 1e-6 to 1 (at p = 1, x = 1 is certain)
    pytest.param(exmc.Geometric, {"p": [1e-6, 0.01, 0.5, 1 - 1e-9, 1.0]},
                 [1.0, 2.0, 10.0, 1e3, 1e6], id="Geometric-broadcast-p"),
    # zero-inflated: psi at both closed ends, zeros and counts
    pytest.param(exmc.ZeroInflatedPoisson, {"psi": [0.0, 1e-6, 0.3, 0.9, 1.0], "mu": 2.5},
                 [0.0, 1.0, 4.0, 30.0], id="ZeroInflatedPoisson-broadcast-psi"),
    pytest.param(exmc.ZeroInflatedPoisson, {"psi": 0.7, "mu": [0.0, 1e-3, 1.0, 1e3]},
                 [0.0, 1.0, 10.0, 1e3], id="ZeroInflatedPoisson-broadcast-mu"),
    pytest.param(exmc.ZeroInflatedNegativeBinomial,
                 {"psi": [1e-6, 0.3, 0.9, 1.0], "mu": [1e-3, 2.0, 50.0, 1e3], "alpha": 2.0},
                 [0.0, 1.0, 4.0, 300.0], id="ZeroInflatedNegativeBinomial-broadcast"),
]


@pytest.mark.parametrize("dist, params, x", LOGP_CASES)
def test_logp_matches_scipy(dist, params, x):
    pa, xa = _as_arrays(params, x)
    got = dist.logp(jnp.asarray(xa), **{k: jnp.asarray(v) for k, v in pa.items()})
    want = SCIPY_LOGP[_ref_key(dist, params)](xa, **pa)
    assert got.dtype == jnp.float64
    assert got.shape == want.shape == np.broadcast_shapes(xa.shape, *(v.shape for v in pa.values()))
    np.testing.assert_allclose(np.asarray(got), want, rtol=LOGP_RTOL, atol=LOGP_ATOL)


def test_logp_cases_cover_every_distribution():
    covered = {case.values[0] for case in LOGP_CASES}
    assert covered == set(ALL)
    assert set(SCIPY_LOGP) == {
        _ref_key(d, p) for d in ALL for p in d.parametrizations
    }
    # each distribution has at least one case whose parameters broadcast against x
    for d in ALL:
        assert any(
            case.values[0] is d and any(np.ndim(v) > 0 for v in case.values[1].values())
            for case in LOGP_CASES
        ), d.__name__


def test_uniform_logp_is_minus_inf_outside_the_open_interval():
    lower, upper = jnp.asarray(-3.0), jnp.asarray(7.0)
    x = jnp.asarray([-1e3, -3.0 - 1e-12, -3.0, 7.0, 7.0 + 1e-12, 1e3])
    got = np.asarray(exmc.Uniform.logp(x, lower, upper))
    assert np.all(got == -np.inf)


# ---------------------------------------------------------------------------------------
# Gradients against central finite differences
# ---------------------------------------------------------------------------------------

FD_REL_STEP = 1e-4
GRAD_RTOL = 1e-6


def _continuous_args(dist, params) -> list[str]:
    (domains,) = [p for p in dist.parametrizations if set(p) == set(params)]
    names = [] if dist.discrete else ["x"]
    return names + [k for k, dom in domains.items() if not dom.integer]


def _logp_np(dist, values: dict) -> np.ndarray:
    x = values["x"]
    return np.asarray(dist.logp(jnp.asarray(x), **{k: jnp.asarray(v) for k, v in values.items() if k != "x"}))


def _autodiff_and_fd(dist, params: dict, xs):
    """Per-point gradients of logp w.r.t. x (if continuous) and each continuous parameter:
    autodiff, and the five-point central difference (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h.

    The step is 1e-4 relative to the value (and to its distance from a numeric upper
    bound: Beta x = 1 - 1e-6 needs h = 1e-10). The plain two-point difference would need a
    step near 1e-6 for its O(h^2) error, and its rounding error, eps |logp| / h, then swamps a
    1e-6 comparison wherever logp is large and the gradient small (far tails, shapes 1e-3);
    the five-point stencil's O(h^4) error lets the step be 100x larger.

    Returns name -> (autodiff gradient, difference, the rounding floor of the difference).
    """
    xs = np.asarray(xs, dtype=np.float64)
    values = {"x": xs, **{k: np.full(xs.shape, float(v)) for k, v in params.items()}}
    args = _continuous_args(dist, params)

    def total(diff, fixed):
        return jnp.sum(dist.logp(**diff, **fixed))

    diff = {k: jnp.asarray(values[k]) for k in args}
    fixed = {k: jnp.asarray(v) for k, v in values.items() if k not in args}
    grads = jax.grad(total)(diff, fixed)
    f0 = np.abs(_logp_np(dist, values))
    domains = {"x": dist.support, **next(p for p in dist.parametrizations if set(p) == set(params))}
    out = {}
    for k in args:
        v = values[k]
        scale = np.where(v == 0.0, 1.0, np.abs(v))
        upper = domains[k].upper
        if isinstance(upper, float):
            scale = np.minimum(scale, upper - v)
        h = FD_REL_STEP * scale
        h = (v + h) - v  # a step that v + h represents exactly

        def at(t):
            return _logp_np(dist, {**values, k: v + t})

        fd = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
        # the stencil's rounding error: its weights sum to 18/12 in absolute value
        floor = 4 * 1.5 * EPS * (f0 + 1.0) / h
        out[k] = (np.asarray(grads[k]), fd, floor)
    return out


def _assert_gradients_match(results):
    for name, (grad, fd, floor) in results.items():
        assert np.all(np.isfinite(grad)), name
        exact_zero = (grad == 0.0) & (fd == 0.0)  # e.g. Uniform: logp is flat in x
        # every point must be a real check: the difference's rounding floor well below the
        # tolerance (otherwise the point, not the code, is at fault)
        assert np.all(exact_zero | (floor <= 0.1 * GRAD_RTOL * np.abs(grad))), (name, grad, floor)
        err = np.abs(grad - fd)
        assert np.all(err <= GRAD_RTOL * np.abs(fd) + floor), (name, grad, fd)


GRAD_CASES = [
    pytest.param(exmc.Normal, {"mu": 0.3, "sigma": 1.7}, [-30.0, -2.0, 0.1, 1.0, 25.0], id="Normal"),
    pytest.param(exmc.Normal, {"mu": -2.0, "sigma": 1e-3}, [-2.01, -2.0005, -1.99], id="Normal-sigma=1e-3"),
    pytest.param(exmc.Normal, {"mu": 500.0, "sigma": 1e3}, [-3e3, -1e3, 2e4], id="Normal-sigma=1e3"),
    pytest.param(exmc.HalfNormal, {"sigma": 2.0}, [0.3, 3.0, 40.0], id="HalfNormal"),
    pytest.param(exmc.Exponential, {"lam": 0.7}, [1e-3, 0.1, 5.0, 100.0], id="Exponential"),
    pytest.param(exmc.Gamma, {"alpha": 1e-3, "beta": 2.0}, [1e-3, 0.3, 5.0], id="Gamma-alpha=1e-3"),
    pytest.param(exmc.Gamma, {"alpha": 2.5, "beta": 0.5}, [1e-4, 0.7, 8.0, 40.0], id="Gamma-alpha=2.5"),
    pytest.param(exmc.Gamma, {"alpha": 1e3, "beta": 2.0}, [50.0, 300.0, 800.0, 2e3], id="Gamma-alpha=1e3"),
    pytest.param(exmc.Beta, {"alpha": 1e-3, "beta": 1e-3}, [1e-10, 0.2, 0.7, 1 - 1e-6], id="Beta-1e-3,1e-3"),
    pytest.param(exmc.Beta, {"alpha": 2.0, "beta": 5.0}, [1e-6, 0.05, 0.6, 0.999], id="Beta-2,5"),
    pytest.param(exmc.Beta, {"alpha": 1e3, "beta": 1e-3}, [1e-3, 0.5, 0.9, 0.999], id="Beta-1e3,1e-3"),
    pytest.param(exmc.Beta, {"alpha": 1e3, "beta": 1e3}, [0.3, 0.45, 0.7], id="Beta-1e3,1e3"),
    pytest.param(exmc.Uniform, {"lower": -3.0, "upper": 7.0}, [-2.5, 0.0, 6.9], id="Uniform"),
    pytest.param(exmc.StudentT, {"nu": 3.5, "mu": 0.5, "sigma": 2.0}, [-30.0, -3.0, 0.0, 8.0, 60.0], id="StudentT"),
    # far tails: a location of 3e4 makes its relative step (3) resolve logp's slow change there
    pytest.param(exmc.StudentT, {"nu": 3.5, "mu": 3e4, "sigma": 2.0}, [-1e6, 1e6], id="StudentT-far-tails"),
    pytest.param(exmc.StudentT, {"nu": 0.2, "mu": -1.0, "sigma": 0.1}, [-50.0, -0.5, 3.0], id="StudentT-nu=0.2"),
    pytest.param(exmc.Cauchy, {"alpha": 1.0, "beta": 0.5}, [-30.0, -2.0, 0.0, 3.0, 50.0], id="Cauchy"),
    pytest.param(exmc.Cauchy, {"alpha": 1e5, "beta": 0.5}, [-1e6, 3e6], id="Cauchy-far-tails"),
    pytest.param(exmc.HalfCauchy, {"beta": 1.5}, [0.1, 3.0, 1e4], id="HalfCauchy"),
    pytest.param(exmc.LogNormal, {"mu": 0.5, "sigma": 0.8}, [1e-6, 0.3, 4.0, 1e4], id="LogNormal"),
    pytest.param(exmc.Bernoulli, {"p": 0.3}, [0.0, 1.0], id="Bernoulli-p"),
    pytest.param(exmc.Bernoulli, {"logit_p": 1.5}, [0.0, 1.0], id="Bernoulli-logit_p"),
    pytest.param(exmc.Binomial, {"n": 10.0, "p": 0.3}, [0.0, 1.0, 7.0, 10.0], id="Binomial-p"),
    pytest.param(exmc.Binomial, {"n": 10.0, "logit_p": -0.8}, [0.0, 1.0, 7.0, 10.0], id="Binomial-logit_p"),
    pytest.param(exmc.Poisson, {"mu": 2.5}, [0.0, 1.0, 7.0, 30.0], id="Poisson"),
    pytest.param(exmc.Poisson, {"mu": 1e3}, [0.0, 900.0, 1100.0], id="Poisson-mu=1e3"),
    pytest.param(exmc.InverseGamma, {"alpha": 2.5, "beta": 1.5}, [1e-2, 0.4, 3.0, 200.0], id="InverseGamma"),
    pytest.param(exmc.InverseGamma, {"alpha": 1e-3, "beta": 1e3}, [1.0, 100.0, 5e3], id="InverseGamma-alpha=1e-3"),
    pytest.param(exmc.Weibull, {"alpha": 1.7, "beta": 3.0}, [1e-4, 0.5, 2.0, 20.0], id="Weibull"),
    pytest.param(exmc.Weibull, {"alpha": 0.3, "beta": 50.0}, [1e-6, 1.0, 1e4], id="Weibull-alpha=0.3"),
    pytest.param(exmc.Laplace, {"mu": 0.5, "b": 2.0}, [-30.0, -1.0, 0.3, 4.0, 60.0], id="Laplace"),
    pytest.param(exmc.Logistic, {"mu": 0.5, "s": 2.0}, [-300.0, -1.0, 0.3, 4.0, 600.0], id="Logistic"),
    pytest.param(exmc.HalfStudentT, {"nu": 3.5, "sigma": 2.0}, [0.05, 0.5, 3.0, 60.0], id="HalfStudentT"),
    pytest.param(exmc.HalfStudentT, {"nu": 0.2, "sigma": 0.1}, [1e-2, 3.0, 1e4], id="HalfStudentT-nu=0.2"),
    pytest.param(exmc.SkewNormal, {"mu": 0.5, "sigma": 2.0, "alpha": 3.0}, [-10.0, -1.0, 0.3, 2.0], id="SkewNormal"),
    pytest.param(exmc.SkewNormal, {"mu": 0.5, "sigma": 2.0, "alpha": -8.0}, [-9.0, 0.0, 3.0, 12.0], id="SkewNormal-alpha=-8-tail"),
    pytest.param(exmc.TruncatedNormal, {"mu": 0.5, "sigma": 2.0, "lower": -1.0, "upper": 3.0}, [-0.9, 0.0, 2.5],
                 id="TruncatedNormal"),
    pytest.param(exmc.NegativeBinomial, {"mu": 4.0, "alpha": 1.5}, [0.0, 1.0, 7.0, 60.0], id="NegativeBinomial"),
    pytest.param(exmc.NegativeBinomial, {"mu": 1e3, "alpha": 1e3}, [0.0, 900.0, 1300.0], id="NegativeBinomial-1e3"),
    pytest.param(exmc.BetaBinomial, {"alpha": 2.0, "beta": 0.7, "n": 15.0}, [0.0, 3.0, 15.0], id="BetaBinomial"),
    pytest.param(exmc.Geometric, {"p": 0.2}, [1.0, 3.0, 40.0], id="Geometric"),
    pytest.param(exmc.ZeroInflatedPoisson, {"psi": 0.6, "mu": 3.0}, [0.0, 1.0, 9.0], id="ZeroInflatedPoisson"),
    pytest.param(exmc.ZeroInflatedNegativeBinomial, {"psi": 0.6, "mu": 3.0, "alpha": 2.0}, [0.0, 1.0, 9.0],
                 id="ZeroInflatedNegativeBinomial"),
]


@pytest.mark.parametrize("dist, params, xs", GRAD_CASES)
def test_gradients_match_finite_differences(dist, params, xs):
    results = _autodiff_and_fd(dist, params, xs)
    expected = set(_continuous_args(dist, params))
    assert set(results) == expected and ("x" in expected) == (not dist.discrete)
    _assert_gradients_match(results)


def test_grad_cases_cover_every_distribution():
    assert {case.values[0] for case in GRAD_CASES} == set(ALL)


# ---------------------------------------------------------------------------------------
# The "lgamma wall": Gamma and Beta shape gradients at 1e-3 and 1e3
# ---------------------------------------------------------------------------------------

WALL = [1e-3, 1e3]


@pytest.mark.parametrize("beta", [1e-3, 1.0, 1e3], ids=lambda b: f"beta={_fmt(b)}")
@pytest.mark.parametrize("alpha", WALL, ids=lambda a: f"alpha={_fmt(a)}")
def test_gamma_shape_gradients_at_the_lgamma_wall(alpha, beta):
    x = np.array([1e-8, 1e-3, 0.5, 7.0, 1e3, 1e5])
    a, b = np.full_like(x, alpha), np.full_like(x, beta)
    ga, gb = jax.grad(lambda a, b: jnp.sum(exmc.Gamma.logp(jnp.asarray(x), a, b)), argnums=(0, 1))(
        jnp.asarray(a), jnp.asarray(b)
    )
    ga, gb = np.asarray(ga), np.asarray(gb)
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))
    # d/dalpha = log(beta) - digamma(alpha) + log(x);  d/dbeta = alpha / beta - x.
    # The closed forms are sums of terms; their own rounding is eps times the terms' size.
    terms_a = [np.log(b), -special.digamma(a), np.log(x)]
    terms_b = [a / b, -x]
    for got, terms in ((ga, terms_a), (gb, terms_b)):
        want = sum(terms)
        scale = sum(np.abs(t) for t in terms)
        np.testing.assert_array_less(np.abs(got - want), 1e-12 * scale + 1e-300)


@pytest.mark.parametrize("beta", WALL + [2.0], ids=lambda b: f"beta={_fmt(b)}")
@pytest.mark.parametrize("alpha", WALL + [2.0], ids=lambda a: f"alpha={_fmt(a)}")
def test_beta_shape_gradients_at_the_lgamma_wall(alpha, beta):
    x = np.array([1e-10, 1e-3, 0.3, 0.8, 1 - 1e-6])
    a, b = np.full_like(x, alpha), np.full_like(x, beta)
    ga, gb = jax.grad(lambda a, b: jnp.sum(exmc.Beta.logp(jnp.asarray(x), a, b)), argnums=(0, 1))(
        jnp.asarray(a), jnp.asarray(b)
    )
    ga, gb = np.asarray(ga), np.asarray(gb)
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))
    # d/dalpha = log(x) - digamma(alpha) + digamma(alpha + beta), and the mirror for beta.
    psi_ab = special.digamma(a + b)
    terms_a = [np.log(x), -special.digamma(a), psi_ab]
    terms_b = [np.log1p(-x), -special.digamma(b), psi_ab]
    for got, terms in ((ga, terms_a), (gb, terms_b)):
        want = sum(terms)
        scale = sum(np.abs(t) for t in terms)
        np.testing.assert_array_less(np.abs(got - want), 1e-12 * scale + 1e-300)


@pytest.mark.parametrize(
    "dist, params, xs",
    [
        pytest.param(exmc.Gamma, {"alpha": 1e-3, "beta": 1e3}, [1e-4, 2e-3, 0.01], id="Gamma-1e-3,1e3"),
        pytest.param(exmc.Gamma, {"alpha": 1e3, "beta": 1e-3}, [2e5, 8e5, 1.5e6], id="Gamma-1e3,1e-3"),
        pytest.param(exmc.Beta, {"alpha": 1e-3, "beta": 1e3}, [1e-4, 0.01, 0.3], id="Beta-1e-3,1e3"),
        pytest.param(exmc.Beta, {"alpha": 1e3, "beta": 1e3}, [0.2, 0.48, 0.9], id="Beta-1e3,1e3"),
    ],
)
def test_lgamma_wall_gradients_match_finite_differences(dist, params, xs):
    _assert_gradients_match(_autodiff_and_fd(dist, params, xs))


# ---------------------------------------------------------------------------------------
# logit_p forms: stable and accurate at |logit_p| = 20, 50, 500 and 1000
# ---------------------------------------------------------------------------------------

# exp(l) overflows float64 past l ~ 709.8, so +-1000 catches a naive log1p(exp(l)); at
# l = 20 and 50 a form like x*l - softplus(l) loses digits to cancellation when x = 1.
BIG_LOGITS = [-1000.0, -500.0, -50.0, -20.0, 20.0, 50.0, 500.0, 1000.0]


def _log_sigmoid_terms(x, n, logit):
    # x * log(sigmoid(l)) + (n - x) * log(sigmoid(-l)), each log-sigmoid computed stably
    # by scipy (log_expit(l) = -softplus(-l)); exact zeros contribute nothing.
    return np.where(x > 0, x * special.log_expit(logit), 0.0) + np.where(
        n - x > 0, (n - x) * special.log_expit(-logit), 0.0
    )


@pytest.mark.parametrize("logit", BIG_LOGITS, ids=lambda v: f"logit={_fmt(v)}")
def test_bernoulli_logit_p_is_stable_in_the_tails(logit):
    x = np.array([0.0, 1.0])
    l = np.full_like(x, logit)
    got = np.asarray(exmc.Bernoulli.logp(jnp.asarray(x), logit_p=jnp.asarray(l)))
    want = _log_sigmoid_terms(x, 1.0, l)  # e.g. x = 1, l = 500: -log1p(exp(-500)) ~ -7e-218
    assert np.all(np.isfinite(got))
    # relative accuracy, no absolute slack: -7e-218 must not come out as 0
    np.testing.assert_allclose(got, want, rtol=LOGP_RTOL, atol=0)
    grad = np.asarray(
        jax.grad(lambda l: jnp.sum(exmc.Bernoulli.logp(jnp.asarray(x), logit_p=l)))(jnp.asarray(l))
    )
    assert np.all(np.isfinite(grad))
    # d/dl = x - sigmoid(l), written without cancellation: x sigmoid(-l) - (1 - x) sigmoid(l)
    want_grad = x * special.expit(-l) - (1.0 - x) * special.expit(l)
    np.testing.assert_allclose(grad, want_grad, rtol=LOGP_RTOL, atol=0)


@pytest.mark.parametrize("logit", BIG_LOGITS, ids=lambda v: f"logit={_fmt(v)}")
def test_binomial_logit_p_is_stable_in_the_tails(logit):
    n = 10.0
    x = np.array([0.0, 3.0, 10.0])
    l = np.full_like(x, logit)
    got = np.asarray(exmc.Binomial.logp(jnp.asarray(x), jnp.asarray(n), logit_p=jnp.asarray(l)))
    log_choose = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    want = log_choose + _log_sigmoid_terms(x, n, l)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=LOGP_RTOL, atol=0)
    grad = np.asarray(
        jax.grad(lambda l: jnp.sum(exmc.Binomial.logp(jnp.asarray(x), jnp.asarray(n), logit_p=l)))(
            jnp.asarray(l)
        )
    )
    assert np.all(np.isfinite(grad))
    # d/dl = x - n sigmoid(l) = x sigmoid(-l) - (n - x) sigmoid(l), the latter without cancellation
    want_grad = x * special.expit(-l) - (n - x) * special.expit(l)
    np.testing.assert_allclose(grad, want_grad, rtol=LOGP_RTOL, atol=0)


# ---------------------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------------------

N_DRAWS = 20_000
KS_MIN_P = 1e-3

# Array parameters of shape (3,) broadcast against a sample shape (N_DRAWS, 3); column j is
# checked against the scipy distribution with the j-th parameters.
CONTINUOUS_SAMPLE_CASES = [
    pytest.param(exmc.Normal, {"mu": [-2.0, 0.0, 1e3], "sigma": [0.1, 1.0, 50.0]},
                 lambda mu, sigma: stats.norm(mu, sigma), id="Normal"),
    pytest.param(exmc.HalfNormal, {"sigma": [0.1, 1.0, 50.0]},
                 lambda sigma: stats.halfnorm(scale=sigma), id="HalfNormal"),
    pytest.param(exmc.Exponential, {"lam": [0.1, 1.0, 30.0]},
                 lambda lam: stats.expon(scale=1.0 / lam), id="Exponential"),
    pytest.param(exmc.Gamma, {"alpha": [0.3, 2.0, 50.0], "beta": [2.0, 1.0, 0.1]},
                 lambda alpha, beta: stats.gamma(alpha, scale=1.0 / beta), id="Gamma"),
    pytest.param(exmc.Beta, {"alpha": [0.5, 2.0, 30.0], "beta": [0.5, 5.0, 3.0]},
                 lambda alpha, beta: stats.beta(alpha, beta), id="Beta"),
    pytest.param(exmc.Uniform, {"lower": [-3.0, 0.0, 100.0], "upper": [7.0, 1e-3, 100.5]},
                 lambda lower, upper: stats.uniform(lower, upper - lower), id="Uniform"),
    pytest.param(exmc.StudentT, {"nu": [0.5, 3.0, 30.0], "mu": [0.0, -1.0, 10.0], "sigma": [1.0, 0.2, 4.0]},
                 lambda nu, mu, sigma: stats.t(nu, mu, sigma), id="StudentT"),
    pytest.param(exmc.Cauchy, {"alpha": [0.0, -5.0, 100.0], "beta": [1.0, 0.01, 30.0]},
                 lambda alpha, beta: stats.cauchy(alpha, beta), id="Cauchy"),
    pytest.param(exmc.HalfCauchy, {"beta": [0.01, 1.0, 30.0]},
                 lambda beta: stats.halfcauchy(scale=beta), id="HalfCauchy"),
    pytest.param(exmc.LogNormal, {"mu": [-2.0, 0.0, 3.0], "sigma": [0.1, 1.0, 2.0]},
                 lambda mu, sigma: stats.lognorm(sigma, scale=np.exp(mu)), id="LogNormal"),
    pytest.param(exmc.InverseGamma, {"alpha": [0.5, 3.0, 40.0], "beta": [0.1, 1.0, 20.0]},
                 lambda alpha, beta: stats.invgamma(alpha, scale=beta), id="InverseGamma"),
    pytest.param(exmc.Weibull, {"alpha": [0.3, 1.5, 8.0], "beta": [0.1, 1.0, 50.0]},
                 lambda alpha, beta: stats.weibull_min(alpha, scale=beta), id="Weibull"),
    pytest.param(exmc.Laplace, {"mu": [-2.0, 0.0, 1e3], "b": [0.1, 1.0, 50.0]},
                 lambda mu, b: stats.laplace(mu, b), id="Laplace"),
    pytest.param(exmc.Logistic, {"mu": [-2.0, 0.0, 1e3], "s": [0.1, 1.0, 50.0]},
                 lambda mu, s: stats.logistic(mu, s), id="Logistic"),
    pytest.param(exmc.HalfStudentT, {"nu": [0.5, 3.0, 30.0], "sigma": [0.1, 1.0, 50.0]},
                 lambda nu, sigma: _Folded(stats.t(nu, scale=sigma)), id="HalfStudentT"),
    pytest.param(exmc.SkewNormal, {"mu": [-2.0, 0.0, 1e3], "sigma": [0.1, 1.0, 50.0], "alpha": [-6.0, 0.5, 3.0]},
                 lambda mu, sigma, alpha: stats.skewnorm(alpha, mu, sigma), id="SkewNormal"),
    pytest.param(exmc.TruncatedNormal, {"mu": [0.0, 1.0, 0.0], "sigma": [1.0, 2.0, 1.0],
                                        "lower": [-1.0, 1.5, -30.0], "upper": [2.0, 40.0, -20.0]},
                 lambda mu, sigma, lower, upper: stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, mu, sigma),
                 id="TruncatedNormal"),
]

DISCRETE_SAMPLE_CASES = [
    pytest.param(exmc.Bernoulli, {"p": [0.01, 0.3, 0.9]}, lambda p: stats.bernoulli(p), id="Bernoulli-p"),
    pytest.param(exmc.Bernoulli, {"logit_p": [-3.0, 0.0, 2.0]},
                 lambda logit_p: stats.bernoulli(special.expit(logit_p)), id="Bernoulli-logit_p"),
    pytest.param(exmc.Binomial, {"n": [1.0, 10.0, 50.0], "p": [0.5, 0.2, 0.9]},
                 lambda n, p: stats.binom(int(n), p), id="Binomial-p"),
    pytest.param(exmc.Binomial, {"n": [3.0, 20.0, 100.0], "logit_p": [-1.0, 0.5, 3.0]},
                 lambda n, logit_p: stats.binom(int(n), special.expit(logit_p)), id="Binomial-logit_p"),
    pytest.param(exmc.Poisson, {"mu": [0.5, 4.0, 300.0]}, lambda mu: stats.poisson(mu), id="Poisson"),
    pytest.param(exmc.NegativeBinomial, {"mu": [0.5, 4.0, 300.0], "alpha": [0.3, 2.0, 50.0]},
                 lambda mu, alpha: stats.nbinom(alpha, alpha / (alpha + mu)), id="NegativeBinomial"),
    pytest.param(exmc.BetaBinomial, {"alpha": [0.5, 2.0, 30.0], "beta": [0.5, 5.0, 3.0], "n": [1.0, 10.0, 60.0]},
                 lambda alpha, beta, n: stats.betabinom(int(n), alpha, beta), id="BetaBinomial"),
    pytest.param(exmc.Geometric, {"p": [0.02, 0.3, 0.9]}, lambda p: stats.geom(p), id="Geometric"),
    pytest.param(exmc.ZeroInflatedPoisson, {"psi": [0.1, 0.6, 1.0], "mu": [0.5, 4.0, 30.0]},
                 lambda psi, mu: _zero_inflated_rv(psi, stats.poisson(mu)), id="ZeroInflatedPoisson"),
    pytest.param(exmc.ZeroInflatedNegativeBinomial, {"psi": [0.1, 0.6, 1.0], "mu": [0.5, 4.0, 30.0], "alpha": [0.3, 2.0, 50.0]},
                 lambda psi, mu, alpha: _zero_inflated_rv(psi, stats.nbinom(alpha, alpha / (alpha + mu))),
                 id="ZeroInflatedNegativeBinomial"),
]


class _Folded:
    """|X| for X symmetric about 0 (scipy has no half-t): CDF 2 F(x) - 1, written 1 - 2 F(-x)."""

    def __init__(self, symmetric):
        self.symmetric = symmetric

    def cdf(self, x):
        return 1.0 - 2.0 * self.symmetric.cdf(-np.asarray(x))


def _zero_inflated_rv(psi, counts):
    """The zero-inflated mixture as a scipy distribution on 0..K, K past the counts' 1 - 1e-15
    quantile (scipy has no zero-inflated families)."""
    ks = np.arange(counts.ppf(1 - 1e-15) + 1)
    pmf = psi * counts.pmf(ks) + (1 - psi) * (ks == 0)
    return stats.rv_discrete(values=(ks, pmf / pmf.sum()))


def _draw(dist, params, shape, seed=0):
    arrays = {k: jnp.asarray(np.asarray(v, dtype=np.float64)) for k, v in params.items()}
    draws = dist.sample(jax.random.key(seed), arrays, shape)
    assert draws.shape == shape
    assert draws.dtype == jnp.float64
    return np.asarray(draws)


def _column_params(params, j):
    return {k: np.asarray(v, dtype=np.float64)[j] for k, v in params.items()}


@pytest.mark.slow
@pytest.mark.parametrize("dist, params, frozen", CONTINUOUS_SAMPLE_CASES)
def test_continuous_sample_matches_scipy_ks(dist, params, frozen):
    draws = _draw(dist, params, (N_DRAWS, 3))
    for j in range(3):
        pj = _column_params(params, j)
        assert np.all(dist.support.contains(draws[:, j], pj)), pj
        p_value = stats.kstest(draws[:, j], frozen(**pj).cdf).pvalue
        assert p_value > KS_MIN_P, (pj, p_value)


@pytest.mark.slow
@pytest.mark.parametrize("dist, params, frozen", DISCRETE_SAMPLE_CASES)
def test_discrete_sample_matches_scipy_pmf_and_mean(dist, params, frozen):
    draws = _draw(dist, params, (N_DRAWS, 3))
    for j in range(3):
        pj = _column_params(params, j)
        ref = frozen(**pj)
        column = draws[:, j]
        assert np.all(dist.support.contains(column, pj)), pj
        mean_tol = 5 * ref.std() / np.sqrt(N_DRAWS)
        assert abs(column.mean() - ref.mean()) <= mean_tol, (pj, column.mean(), ref.mean())
        values, counts = np.unique(column, return_counts=True)
        freq = dict(zip(values.tolist(), (counts / N_DRAWS).tolist()))
        ks = np.arange(ref.ppf(1e-9), ref.ppf(1 - 1e-9) + 1)
        pmf = ref.pmf(ks)
        keep = pmf >= 1e-3  # enough expected counts for a normal approximation
        for k, pk in zip(ks[keep], pmf[keep]):
            tol = 5 * np.sqrt(pk * (1 - pk) / N_DRAWS)
            assert abs(freq.get(float(k), 0.0) - pk) <= tol, (pj, k, freq.get(float(k)), pk)


def test_sample_cases_cover_every_distribution():
    cases = CONTINUOUS_SAMPLE_CASES + DISCRETE_SAMPLE_CASES
    assert {case.values[0] for case in cases} == set(ALL)


@pytest.mark.parametrize(
    "dist, params",
    [pytest.param(case.values[0], case.values[1], id=case.id)
     for case in CONTINUOUS_SAMPLE_CASES + DISCRETE_SAMPLE_CASES],
)
def test_sample_shape_dtype_and_broadcasting(dist, params):
    # Scalar parameters at a scalar shape, and at the statistical tests' shape (which reuses
    # their compiled samplers: each new shape costs a compilation). Array parameters of
    # shape (3,) against (N_DRAWS, 3) are exercised by the statistical tests above.
    scalar = _column_params(params, 1)
    for shape in [(), (N_DRAWS, 3)]:
        draws = _draw(dist, scalar, shape, seed=1)
        assert np.all(dist.support.contains(draws, scalar))


# ---------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------

EXPECTED_DEFAULT_TRANSFORM = {
    exmc.Normal: "identity",
    exmc.HalfNormal: "log",
    exmc.Exponential: "log",
    exmc.Gamma: "log",
    exmc.Beta: "logit",
    exmc.Uniform: "interval",
    exmc.StudentT: "identity",
    exmc.Cauchy: "identity",
    exmc.HalfCauchy: "log",
    exmc.LogNormal: "log",
    exmc.InverseGamma: "log",
    exmc.Weibull: "log",
    exmc.Laplace: "identity",
    exmc.Logistic: "identity",
    exmc.HalfStudentT: "log",
    exmc.SkewNormal: "identity",
    exmc.TruncatedNormal: "interval",
}


def test_twenty_five_distributions_exported():
    assert len(ALL) == len(set(ALL)) == 25
    assert set(CONTINUOUS) == set(EXPECTED_DEFAULT_TRANSFORM)
    assert set(DISCRETE) == {
        exmc.Bernoulli, exmc.Binomial, exmc.Poisson, exmc.NegativeBinomial, exmc.BetaBinomial,
        exmc.Geometric, exmc.ZeroInflatedPoisson, exmc.ZeroInflatedNegativeBinomial,
    }
    for d in ALL:
        assert getattr(exmc, d.__name__) is d
        assert issubclass(d, Distribution)


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.__name__)
def test_distribution_declares_support_and_transform(dist):
    assert isinstance(dist.support, Constraint)
    assert dist.parametrizations and all(isinstance(p, dict) and p for p in dist.parametrizations)
    for p in dist.parametrizations:
        assert all(isinstance(dom, Constraint) for dom in p.values())
    if dist.discrete:
        assert dist in DISCRETE and dist.support.integer
    else:
        assert dist in CONTINUOUS and not dist.support.integer
        t = default_transform(dist.support)
        assert isinstance(t, Transform)
        assert t.name == EXPECTED_DEFAULT_TRANSFORM[dist]
        assert t.maps_onto(dist.support)


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.__name__)
def test_match_accepts_each_parametrization(dist):
    for p in dist.parametrizations:
        assert dist.match(set(p)) is p


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.__name__)
def test_match_rejects_unknown_parameter(dist):
    given = set(dist.parametrizations[0]) | {"bogus"}
    with pytest.raises(ValueError, match="bogus"):
        dist.match(given)


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.__name__)
def test_match_rejects_missing_parameters(dist):
    for p in dist.parametrizations:
        for name in p:
            with pytest.raises(ValueError):
                dist.match(set(p) - {name})
    with pytest.raises(ValueError):
        dist.match(set())


@pytest.mark.parametrize("dist", [exmc.Bernoulli, exmc.Binomial], ids=lambda d: d.__name__)
def test_match_rejects_both_p_and_logit_p(dist):
    given = set(dist.param_names())
    assert {"p", "logit_p"} <= given
    with pytest.raises(ValueError, match="exactly one of the forms"):
        dist.match(given)


def test_match_names_the_missing_parameter():
    with pytest.raises(ValueError, match="'sigma'"):
        exmc.Normal.match({"mu"})


@pytest.mark.parametrize("dist", ALL, ids=lambda d: d.__name__)
def test_distribution_cannot_be_instantiated(dist):
    with pytest.raises(TypeError, match="used as a class"):
        dist()


def test_uniform_check_params():
    assert exmc.Uniform.check_params({"lower": np.float64(0.0), "upper": np.float64(1.0)}) is None
    assert exmc.Uniform.check_params({"lower": np.float64(1.0), "upper": np.float64(1.0)})
    assert exmc.Uniform.check_params({"lower": np.array([0.0, 2.0]), "upper": np.array([1.0, 1.0])})
    # the builder passes only constant parameters; a bound that is another node is absent
    assert exmc.Uniform.check_params({"upper": np.float64(1.0)}) is None


@pytest.mark.parametrize("dist", [exmc.Bernoulli, exmc.Binomial], ids=lambda d: d.__name__)
def test_logit_p_gradient_at_exactly_zero(dist):
    # d/dl at l = 0 is x - n/2; the softplus written with maximum and abs gave x - n (JAX's
    # derivative rules for a tie of maximum and for abs at 0 do not combine to sigmoid(0))
    x = jnp.asarray([0.0, 1.0])
    args = {} if dist is exmc.Bernoulli else {"n": jnp.asarray(1.0)}
    grad = jax.vmap(jax.grad(lambda xi, l: dist.logp(xi, logit_p=l, **args), argnums=1), (0, None))(x, 0.0)
    np.testing.assert_allclose(np.asarray(grad), [-0.5, 0.5], rtol=1e-15)
