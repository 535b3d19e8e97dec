"""TruncatedNormal, exmc.Censored and exmc.Truncated: log-densities against scipy, gradients,
samplers, bounds as node names, errors, and (slow) posteriors against exact references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import exmc
from exmc.transforms import default_transform

pytestmark = pytest.mark.usefixtures("x64")
RTOL = 1e-8


def _np(fn, x, **params):
    return np.asarray(fn(jnp.asarray(np.asarray(x, float)), **{k: jnp.asarray(np.asarray(v, float)) for k, v in params.items()}))


TN_CASES = [  # (mu, sigma, lower, upper): straddling, narrow, far in either tail
    (0.5, 2.0, -1.0, 3.0),
    (0.0, 1.0, -1e-4, 1e-4),
    (0.0, 1.0, 5.0, 12.0),
    (0.0, 1.0, -30.0, -20.0),
    (1e3, 1e-3, 1e3 - 2e-3, 1e3 + 5e-3),
]


@pytest.mark.parametrize("mu, sigma, lower, upper", TN_CASES)
def test_truncated_normal_against_scipy(mu, sigma, lower, upper):
    x = lower + (upper - lower) * np.array([1e-6, 0.1, 0.5, 0.9, 1 - 1e-6])
    p = dict(mu=mu, sigma=sigma, lower=lower, upper=upper)
    ref = stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, mu, sigma)
    np.testing.assert_allclose(_np(exmc.TruncatedNormal.logp, x, **p), ref.logpdf(x), rtol=RTOL)
    np.testing.assert_allclose(_np(exmc.TruncatedNormal.logcdf, x, **p), ref.logcdf(x), rtol=RTOL)
    np.testing.assert_allclose(_np(exmc.TruncatedNormal.logccdf, x, **p), ref.logsf(x), rtol=RTOL)
    outside = _np(exmc.TruncatedNormal.logp, [lower - 1.0, lower, upper, upper + 1.0], **p)
    assert np.all(outside == -np.inf)


@pytest.mark.parametrize("mu, sigma, lower, upper", TN_CASES[:3])
def test_truncated_normal_gradients(mu, sigma, lower, upper):
    x = lower + (upper - lower) * np.array([0.1, 0.5, 0.9])
    names = ("x", "mu", "sigma", "lower", "upper")

    def f(*args):
        return jnp.sum(exmc.TruncatedNormal.logp(*args))

    args = [jnp.asarray(np.full_like(x, v) if n != "x" else x) for n, v in zip(names, (None, mu, sigma, lower, upper))]
    grads = jax.grad(f, argnums=tuple(range(5)))(*args)
    for i, g in enumerate(grads):
        h = 1e-6 * max(1.0, abs(float(args[i][0])))
        up = [a if j != i else a + h for j, a in enumerate(args)]
        down = [a if j != i else a - h for j, a in enumerate(args)]
        fd = (float(f(*up)) - float(f(*down))) / (2 * h)
        assert float(jnp.sum(g)) == pytest.approx(fd, rel=1e-5, abs=1e-7), names[i]


@pytest.mark.slow
@pytest.mark.parametrize("mu, sigma, lower, upper", TN_CASES[:4])
def test_truncated_normal_sampler_ks(mu, sigma, lower, upper):
    p = {k: jnp.asarray(v) for k, v in dict(mu=mu, sigma=sigma, lower=lower, upper=upper).items()}
    draws = np.asarray(exmc.TruncatedNormal.sample(jax.random.key(0), p, (20_000,)))
    assert np.all((draws > lower) & (draws < upper))
    ref = stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma, mu, sigma)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


# Truncated(family): against the family's scipy density renormalised by scipy's own mass,
# taken from the side of the median where it does not cancel
TRUNCATED_CASES = [
    pytest.param(exmc.Normal, {"mu": 1.0, "sigma": 2.0}, 0.0, None, stats.norm(1.0, 2.0), id="Normal-lower"),
    pytest.param(exmc.Weibull, {"alpha": 1.5, "beta": 2.0}, None, 3.0, stats.weibull_min(1.5, scale=2.0), id="Weibull-upper"),
    pytest.param(exmc.Gamma, {"alpha": 3.0, "beta": 1.0}, 8.0, 20.0, stats.gamma(3.0), id="Gamma-far-tail"),
    pytest.param(exmc.Logistic, {"mu": 0.0, "s": 1.0}, -1.0, 2.0, stats.logistic(), id="Logistic-both"),
    pytest.param(exmc.Laplace, {"mu": 0.0, "b": 1.0}, -40.0, -30.0, stats.laplace(), id="Laplace-far-lower-tail"),
]


def _scipy_truncated(ref, lower, upper, x):
    lo = -np.inf if lower is None else lower
    hi = np.inf if upper is None else upper
    mass = ref.sf(lo) - ref.sf(hi) if ref.cdf(lo) > 0.5 else ref.cdf(hi) - ref.cdf(lo)
    return ref.logpdf(x) - np.log(mass)


@pytest.mark.parametrize("dist, params, lower, upper, ref", TRUNCATED_CASES)
def test_truncated_against_scipy(dist, params, lower, upper, ref):
    T = exmc.Truncated(dist, lower=lower, upper=upper)
    lo = ref.ppf(1e-9) if lower is None else lower
    hi = ref.ppf(1 - 1e-9) if upper is None else upper
    x = lo + (hi - lo) * np.array([1e-6, 0.2, 0.5, 0.8, 1 - 1e-6])
    bounds = {k: v for k, v in (("lower", lower), ("upper", upper)) if v is not None}
    got = _np(T.logp, x, **params, **bounds)
    np.testing.assert_allclose(got, _scipy_truncated(ref, lower, upper, x), rtol=RTOL)
    # the log-CDF runs from -inf at the lower end to 0 at the upper one, and pairs with logccdf
    cdf, ccdf = _np(T.logcdf, x, **params, **bounds), _np(T.logccdf, x, **params, **bounds)
    np.testing.assert_allclose(np.logaddexp(cdf, ccdf), 0.0, atol=1e-12)
    assert np.all(np.diff(cdf) > 0)


def test_truncated_normal_wrapper_equals_truncated_normal():
    T = exmc.Truncated(exmc.Normal, lower=-1.0, upper=3.0)
    x = np.array([-0.9, 0.0, 2.9])
    np.testing.assert_allclose(
        _np(T.logp, x, mu=0.5, sigma=2.0, lower=-1.0, upper=3.0),
        _np(exmc.TruncatedNormal.logp, x, mu=0.5, sigma=2.0, lower=-1.0, upper=3.0), rtol=1e-12)


def test_censored_logp_is_the_cdf_at_the_bounds_and_the_density_between():
    C = exmc.Censored(exmc.Weibull, lower=0.5, upper=4.0)
    x = np.array([0.2, 0.5, 1.0, 3.9, 4.0, 5.0])
    got = _np(C.logp, x, alpha=1.5, beta=2.0, lower=0.5, upper=4.0)
    ref = stats.weibull_min(1.5, scale=2.0)
    want = [-np.inf, ref.logcdf(0.5), ref.logpdf(1.0), ref.logpdf(3.9), ref.logsf(4.0), -np.inf]
    np.testing.assert_allclose(got, want, rtol=RTOL)
    grad = jax.grad(lambda a: jnp.sum(C.logp(jnp.asarray(x[1:5]), alpha=a, beta=2.0, lower=0.5, upper=4.0)))(1.5)
    assert np.isfinite(float(grad))


def test_wrappers_are_the_same_class_for_the_same_arguments_and_default_transforms():
    assert exmc.Censored(exmc.Normal, upper=np.array([1.0, 2.0])) is exmc.Censored(exmc.Normal, upper=np.array([1.0, 2.0]))
    assert exmc.Truncated(exmc.Normal, lower="a") is not exmc.Truncated(exmc.Normal, lower="b")
    assert default_transform(exmc.Truncated(exmc.Normal, lower=0.0).support).name == "lower_bound"
    assert default_transform(exmc.Truncated(exmc.Normal, upper=0.0).support).name == "upper_bound"
    assert default_transform(exmc.Truncated(exmc.Normal, lower=0.0, upper=1.0).support).name == "interval"
    assert default_transform(exmc.Truncated(exmc.Gamma, upper=1.0).support).name == "interval"
    assert default_transform(exmc.Truncated(exmc.Gamma, lower=1.0).support).name == "lower_bound"
    assert default_transform(exmc.TruncatedNormal.support).name == "interval"


def test_bounds_may_be_nodes():
    # a det node sets the censoring time; it equals the constant-bound model's log-density
    t = np.array([1.0, 3.0, 2.0])
    by_node = (
        exmc.Builder.new_ir()
        .rv("k", exmc.HalfNormal, {"sigma": 2.0})
        .det("c", lambda k: 0.0 * k + 3.0, ["k"])
        .rv("t", exmc.Censored(exmc.Weibull, upper="c"), {"alpha": "k", "beta": 2.0})
        .obs("t_obs", "t", t)
    )
    by_constant = (
        exmc.Builder.new_ir()
        .rv("k", exmc.HalfNormal, {"sigma": 2.0})
        .rv("t", exmc.Censored(exmc.Weibull, upper=3.0), {"alpha": "k", "beta": 2.0})
        .obs("t_obs", "t", t)
    )
    a, b = exmc.compile_model(by_node), exmc.compile_model(by_constant)
    for q in (-0.5, 0.0, 0.7):
        assert a.logp(np.array([q])) == pytest.approx(b.logp(np.array([q])), rel=1e-14)
    # a truncation bound from a node as a prior: the interval transform follows it
    prior = (
        exmc.Builder.new_ir()
        .rv("top", exmc.Gamma, {"alpha": 2.0, "beta": 1.0})
        .rv("x", exmc.Truncated(exmc.Normal, lower=0.0, upper="top"), {"mu": 0.0, "sigma": 1.0})
    )
    assert np.isfinite(exmc.compile_model(prior).logp(np.zeros(2)))


def test_malformed_uses_raise_exmc_errors_naming_the_node():
    with pytest.raises(exmc.ParameterDomainError, match=r"node 't'.*parameter 'upper' of Censored\(Weibull\) must lie in positive numbers"):
        exmc.Builder.new_ir().rv("t", exmc.Censored(exmc.Weibull, upper=np.array([2.0, -1.0])), {"alpha": 1.0, "beta": 2.0})
    with pytest.raises(exmc.ParameterDomainError, match=r"node 'x'.*parameter 'lower' of Truncated\(Gamma\) must lie in positive"):
        exmc.Builder.new_ir().rv("x", exmc.Truncated(exmc.Gamma, lower=-1.0), {"alpha": 1.0, "beta": 2.0})
    with pytest.raises(exmc.ParameterDomainError, match="node 'x'.*lower < upper"):
        exmc.Builder.new_ir().rv("x", exmc.Truncated(exmc.Normal, lower=2.0, upper=1.0), {"mu": 0.0, "sigma": 1.0})
    with pytest.raises(exmc.ParameterDomainError, match="node 'x'.*lower < upper"):
        exmc.Builder.new_ir().rv("x", exmc.TruncatedNormal, {"mu": 0.0, "sigma": 1.0, "lower": 1.0, "upper": 1.0})
    with pytest.raises(exmc.ParameterError, match="node 't'.*bound 'upper'"):
        exmc.Builder.new_ir().rv("t", exmc.Censored(exmc.Normal, upper=1.0), {"mu": 0.0, "sigma": 1.0, "upper": 2.0})
    free = exmc.Builder.new_ir().rv("t", exmc.Censored(exmc.Normal, upper=1.0), {"mu": 0.0, "sigma": 1.0})
    with pytest.raises(exmc.DistributionError, match="node 't'.*observe"):
        exmc.compile_model(free)
    with pytest.raises(exmc.DataError, match="node 't_obs'"):  # data beyond the censoring bound
        free.obs("t_obs", "t", np.array([0.5, 1.5]))
    for bad, words in [
        (lambda: exmc.Censored(exmc.Poisson, upper=3.0), "continuous"),
        (lambda: exmc.Censored(exmc.Dirichlet, upper=3.0), "no logcdf"),  # every scalar family has one (decision 62)
        (lambda: exmc.Truncated(exmc.Uniform, lower=0.0), "clash"),
        (lambda: exmc.Truncated(exmc.Normal), "needs a lower or an upper"),
        (lambda: exmc.Truncated(exmc.Normal, lower=np.inf), "finite"),
        (lambda: exmc.Censored("Normal", upper=1.0), "Exmc distribution"),
    ]:
        with pytest.raises(exmc.DistributionError, match=words):
            bad()


# ---------------------------------------------------------------------------------------
# Posteriors against references computed without Exmc (slow)
# ---------------------------------------------------------------------------------------


def _grid_moments(log_post, axes):
    """Mean and sd of each axis under exp(log_post) on a regular grid (normalised numerically)."""
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    grids = np.meshgrid(*axes, indexing="ij")
    means = [float(np.sum(w * g)) for g in grids]
    sds = [float(np.sqrt(np.sum(w * (g - m) ** 2))) for g, m in zip(grids, means)]
    return means, sds


def _assert_recovers(trace, name, mean, sd):
    draws = trace.posterior[name]
    ess = float(exmc.diagnostics.ess(draws))
    assert ess > 400, (name, ess)
    assert abs(draws.mean() - mean) < 5 * sd / np.sqrt(ess), (name, draws.mean(), mean, sd, ess)
    # the variance's Monte Carlo error, from the effective size of the squared deviations
    sq = (draws - draws.mean()) ** 2
    se_var = sq.std() / np.sqrt(float(exmc.diagnostics.ess(sq)))
    assert abs(draws.var() - sd**2) < 5 * se_var, (name, draws.std(), sd)


@pytest.mark.slow
def test_right_censored_weibull_survival_against_a_grid_posterior():
    rng = np.random.default_rng(12)
    true_alpha, true_beta, n = 1.5, 3.0, 60
    times = true_beta * rng.weibull(true_alpha, n)
    censor = rng.uniform(2.0, 6.0, n)  # each subject followed for its own time
    t = np.minimum(times, censor)
    is_censored = times >= censor
    assert 10 < is_censored.sum() < 50
    ir = (
        exmc.Builder.new_ir()
        .rv("alpha", exmc.HalfNormal, {"sigma": 2.0})
        .rv("beta", exmc.HalfNormal, {"sigma": 5.0})
        .rv("t", exmc.Censored(exmc.Weibull, upper=censor), {"alpha": "alpha", "beta": "beta"})
        .obs("t_obs", "t", t)
    )
    trace = exmc.sample(ir, draws=2000, tune=1000, chains=4, seed=5, progressbar=False)
    # the grid: HalfNormal priors, the density for events, the survival function for censored
    a = np.linspace(0.2, 4.0, 600)[:, None]
    b = np.linspace(1.0, 12.0, 600)[None, :]
    log_post = stats.halfnorm.logpdf(a, scale=2.0) + stats.halfnorm.logpdf(b, scale=5.0)
    for ti, ci in zip(t, is_censored):
        ref = stats.weibull_min(a, scale=b)
        log_post = log_post + (ref.logsf(ti) if ci else ref.logpdf(ti))
    (ma, mb), (sa, sb) = _grid_moments(log_post, (a[:, 0], b[0, :]))
    # the grid covers the posterior: every edge at least 20 nats (a factor 5e8) below its mode
    edges = np.concatenate([log_post[0], log_post[-1], log_post[:, 0], log_post[:, -1]])
    assert edges.max() < log_post.max() - 20, edges.max() - log_post.max()
    _assert_recovers(trace, "alpha", ma, sa)
    _assert_recovers(trace, "beta", mb, sb)


@pytest.mark.slow
def test_truncated_normal_likelihoods_against_their_exact_posteriors():
    rng = np.random.default_rng(7)
    y1 = stats.truncnorm.rvs(-0.5, np.inf, loc=0.5, scale=1.0, size=30, random_state=rng)  # lower = 0
    y2 = stats.truncnorm.rvs(-2.0, 1.0, loc=1.0, scale=1.0, size=30, random_state=rng)  # (-1, 2)
    ir = (
        exmc.Builder.new_ir()
        .rv("mu1", exmc.Normal, {"mu": 0.0, "sigma": 3.0})
        .rv("y1", exmc.Truncated(exmc.Normal, lower=0.0), {"mu": "mu1", "sigma": 1.0})
        .obs("y1_obs", "y1", y1)
        .rv("mu2", exmc.Normal, {"mu": 0.0, "sigma": 3.0})
        .rv("y2", exmc.TruncatedNormal, {"mu": "mu2", "sigma": 1.0, "lower": -1.0, "upper": 2.0})
        .obs("y2_obs", "y2", y2)
    )
    trace = exmc.sample(ir, draws=2000, tune=1000, chains=4, seed=6, progressbar=False)
    # exact: prior times the truncated likelihood, normalised by quadrature on a fine 1-D grid
    for name, y, lower, upper in (("mu1", y1, 0.0, np.inf), ("mu2", y2, -1.0, 2.0)):
        mu = np.linspace(-6.0, 6.0, 20001)
        log_post = stats.norm.logpdf(mu, 0.0, 3.0)
        for yi in y:
            log_post = log_post + stats.truncnorm.logpdf(yi, lower - mu, upper - mu, loc=mu, scale=1.0)
        (m,), (s,) = _grid_moments(log_post, (mu,))
        _assert_recovers(trace, name, m, s)
