"""Prior and posterior predictive draws: every distribution's moments and quantiles, the
conjugate Normal-Normal predictive, layout, reproducibility and one compilation."""

import jax
import numpy as np
import pytest
import scipy.stats as st

import exmc
from exmc.compile import pointwise

N_DRAWS, WIDTH = 4000, 10  # 40,000 prior draws of each variable


class _HalfT(st.rv_continuous):
    """|t_nu| (scipy has none): moments by scipy's numerical integration of the density."""

    def _pdf(self, x, nu):
        return 2.0 * st.t.pdf(x, nu)

    def _cdf(self, x, nu):
        return 1.0 - 2.0 * st.t.cdf(-x, nu)

    def _ppf(self, q, nu):
        return st.t.ppf(0.5 + 0.5 * q, nu)


_halft = _HalfT(a=0.0, name="halft")


def _zero_inflated(psi, counts):
    """0 with probability 1 - psi, else a draw of ``counts`` (scipy has no such family): the
    pmf on 0..K, K past the counts' 1 - 1e-15 quantile."""
    ks = np.arange(counts.ppf(1 - 1e-15) + 1)
    pmf = psi * counts.pmf(ks) + (1 - psi) * (ks == 0)
    return st.rv_discrete(values=(ks, pmf / pmf.sum()))

CONTINUOUS = [
    (exmc.Normal, {"mu": 1.5, "sigma": 2.0}, st.norm(1.5, 2.0)),
    (exmc.HalfNormal, {"sigma": 2.0}, st.halfnorm(scale=2.0)),
    (exmc.Exponential, {"lam": 3.0}, st.expon(scale=1 / 3.0)),
    (exmc.Gamma, {"alpha": 2.5, "beta": 2.0}, st.gamma(2.5, scale=0.5)),
    (exmc.Gamma, {"alpha": 0.5, "beta": 1.0}, st.gamma(0.5)),
    (exmc.Beta, {"alpha": 2.0, "beta": 5.0}, st.beta(2.0, 5.0)),
    (exmc.Uniform, {"lower": -1.0, "upper": 3.0}, st.uniform(-1.0, 4.0)),
    (exmc.StudentT, {"nu": 7.0, "mu": 1.0, "sigma": 2.0}, st.t(7.0, 1.0, 2.0)),
    (exmc.StudentT, {"nu": 2.5, "mu": 0.0, "sigma": 1.0}, st.t(2.5)),
    (exmc.Cauchy, {"alpha": 1.0, "beta": 2.0}, st.cauchy(1.0, 2.0)),
    (exmc.HalfCauchy, {"beta": 2.0}, st.halfcauchy(scale=2.0)),
    (exmc.LogNormal, {"mu": 0.3, "sigma": 0.5}, st.lognorm(0.5, scale=np.exp(0.3))),
    (exmc.InverseGamma, {"alpha": 6.0, "beta": 2.0}, st.invgamma(6.0, scale=2.0)),
    (exmc.Weibull, {"alpha": 1.5, "beta": 2.0}, st.weibull_min(1.5, scale=2.0)),
    (exmc.Laplace, {"mu": 1.0, "b": 2.0}, st.laplace(1.0, 2.0)),
    (exmc.Logistic, {"mu": 1.0, "s": 2.0}, st.logistic(1.0, 2.0)),
    (exmc.HalfStudentT, {"nu": 7.0, "sigma": 2.0}, _halft(7.0, scale=2.0)),
    (exmc.SkewNormal, {"mu": 1.0, "sigma": 2.0, "alpha": -3.0}, st.skewnorm(-3.0, 1.0, 2.0)),
]
DISCRETE = [
    (exmc.Bernoulli, {"p": 0.3}, st.bernoulli(0.3)),
    (exmc.Bernoulli, {"logit_p": -0.8}, st.bernoulli(1 / (1 + np.exp(0.8)))),
    (exmc.Binomial, {"n": 12.0, "p": 0.35}, st.binom(12, 0.35)),
    (exmc.Binomial, {"n": 12.0, "logit_p": 0.4}, st.binom(12, 1 / (1 + np.exp(-0.4)))),
    (exmc.Poisson, {"mu": 4.2}, st.poisson(4.2)),
    (exmc.NegativeBinomial, {"mu": 4.2, "alpha": 1.5}, st.nbinom(1.5, 1.5 / (1.5 + 4.2))),
    (exmc.BetaBinomial, {"alpha": 2.0, "beta": 3.0, "n": 12.0}, st.betabinom(12, 2.0, 3.0)),
    (exmc.Geometric, {"p": 0.3}, st.geom(0.3)),
    (exmc.ZeroInflatedPoisson, {"psi": 0.7, "mu": 4.2}, _zero_inflated(0.7, st.poisson(4.2))),
    (exmc.ZeroInflatedNegativeBinomial, {"psi": 0.7, "mu": 4.2, "alpha": 1.5},
     _zero_inflated(0.7, st.nbinom(1.5, 1.5 / (1.5 + 4.2)))),
]


def check_against(draws: np.ndarray, dist) -> None:
    """Mean and variance where the distribution has them (tolerance 5 standard errors of the
    estimate, from its own moments), and the CDF at five quantiles (5 binomial sd)."""
    x = draws.ravel()
    n = x.size
    mean, var, _, kurtosis = (float(v) for v in dist.stats(moments="mvsk"))
    if np.isfinite(var):
        assert abs(x.mean() - mean) < 5 * np.sqrt(var / n), (x.mean(), mean)
    if np.isfinite(kurtosis):  # var(sample variance) = sigma^4 (kurtosis + 2) / n
        assert abs(x.var() - var) < 5 * var * np.sqrt((kurtosis + 2) / n), (x.var(), var)
    for p in (0.1, 0.25, 0.5, 0.75, 0.9):
        q = dist.ppf(p)
        low, high = dist.cdf(q - 1e-9) if isinstance(getattr(dist, "dist", dist), st.rv_discrete) else dist.cdf(q), dist.cdf(q)
        below = np.mean(x <= q)
        assert low - 5 * np.sqrt(p * (1 - p) / n) < below < high + 5 * np.sqrt(p * (1 - p) / n), (p, below)


@pytest.mark.parametrize("dist, params, reference", CONTINUOUS, ids=lambda v: getattr(v, "__name__", ""))
def test_prior_draws_of_every_continuous_distribution(dist, params, reference):
    ir = exmc.Builder.new_ir().rv("x", dist, params, shape=WIDTH)
    prior = exmc.sample_prior_predictive(ir, draws=N_DRAWS, seed=3)
    assert prior.prior["x"].shape == (1, N_DRAWS, WIDTH) and prior.prior_predictive == {}
    check_against(prior.prior["x"], reference)


@pytest.mark.parametrize("dist, params, reference", DISCRETE, ids=lambda v: getattr(v, "__name__", ""))
def test_prior_predictive_of_every_discrete_likelihood(dist, params, reference):
    data = np.asarray(reference.ppf(np.linspace(0.1, 0.9, WIDTH)), dtype=float)
    ir = exmc.Builder.new_ir().rv("x", dist, params).obs("x_obs", "x", data)
    prior = exmc.sample_prior_predictive(ir, draws=N_DRAWS, seed=4)
    draws = prior.prior_predictive["x_obs"]
    assert draws.shape == (1, N_DRAWS, WIDTH) and np.all(draws == np.round(draws))
    check_against(draws, reference)


def test_prior_draws_follow_references_between_nodes():
    # y | x ~ Normal(x, 1), x ~ Normal(0, 1): y ~ Normal(0, sqrt 2), corr(x, y) = 1/sqrt 2
    ir = (
        exmc.Builder.new_ir()
        .rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .det("twice", lambda x: 2.0 * x, "x")
        .rv("y", exmc.Normal, {"mu": "x", "sigma": 1.0})
        .obs("y_obs", "y", np.zeros(3))
    )
    prior = exmc.sample_prior_predictive(ir, draws=20000, seed=5)
    x, y = prior.prior["x"][0], prior.prior_predictive["y_obs"][0]
    np.testing.assert_array_equal(prior.prior["twice"], 2.0 * prior.prior["x"])
    check_against(y, st.norm(0.0, np.sqrt(2.0)))
    # sd of a correlation estimate at n = 20000: (1 - r^2) / sqrt(n) = 0.0035
    assert np.corrcoef(x, y[:, 0])[0, 1] == pytest.approx(1 / np.sqrt(2), abs=5 * 0.0035)
    assert set(prior.observed_data) == {"y_obs"} and prior.n_chains == 1 and prior.n_draws == 20000


# the conjugate model: mu ~ Normal(1, 2), y_i ~ Normal(mu, 1.5)
Y = np.array([2.3, 0.7, 3.1, 1.9, 2.6])
M0, S0, SIGMA = 1.0, 2.0, 1.5
PRECISION = 1 / S0**2 + Y.size / SIGMA**2
POST_MEAN = (M0 / S0**2 + Y.sum() / SIGMA**2) / PRECISION
POST_VAR = 1 / PRECISION


def conjugate_model():
    return (
        exmc.Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": M0, "sigma": S0})
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": SIGMA})
        .obs("y_obs", "y", Y)
    )


def exact_posterior_trace(chains=4, draws=5000, seed=0):
    rng = np.random.default_rng(seed)
    mu = POST_MEAN + np.sqrt(POST_VAR) * rng.normal(size=(chains, draws))
    return exmc.Trace(posterior={"mu": mu}, sample_stats={}, observed_data={"y_obs": Y})


def test_posterior_predictive_of_the_conjugate_normal_model_is_the_analytic_one():
    trace = exmc.sample_posterior_predictive(conjugate_model(), exact_posterior_trace(), seed=1)
    y = trace.posterior_predictive["y_obs"]
    assert y.shape == (4, 5000, Y.size)
    predictive_sd = np.sqrt(POST_VAR + SIGMA**2)
    for i in range(Y.size):  # each new y_i ~ Normal(posterior mean, posterior var + sigma^2)
        check_against(y[..., i], st.norm(POST_MEAN, predictive_sd))
    # the components share mu: cov(y_i, y_j) = posterior var; its estimate's sd < 0.03 here
    cov = np.cov(y.reshape(-1, Y.size), rowvar=False)
    off_diagonal = cov[~np.eye(Y.size, dtype=bool)]
    n = y.shape[0] * y.shape[1]
    tol = 5 * np.sqrt((predictive_sd**4 + POST_VAR**2) / n)
    assert np.all(np.abs(off_diagonal - POST_VAR) < tol), (off_diagonal, POST_VAR)


@pytest.mark.slow
def test_posterior_predictive_after_nuts_matches_the_analytic_predictive():
    ir = conjugate_model()
    trace = exmc.sample(ir, draws=2000, tune=1000, chains=4, seed=8, progressbar=False)
    trace = exmc.sample_posterior_predictive(ir, trace, seed=2)
    y = trace.posterior_predictive["y_obs"]
    ess_mu = exmc.diagnostics.ess(trace.posterior["mu"])
    n = y.shape[0] * y.shape[1]
    for i in range(Y.size):  # the mean's error: mu's Monte Carlo error plus the new noise's
        se = np.sqrt(POST_VAR / ess_mu + SIGMA**2 / n)
        assert abs(y[..., i].mean() - POST_MEAN) < 5 * se
        assert y[..., i].var() == pytest.approx(POST_VAR + SIGMA**2, rel=5 * np.sqrt(2 / min(ess_mu, n)))


def test_the_same_seed_gives_the_same_draws_whatever_the_chunking(monkeypatch):
    ir, trace = conjugate_model(), exact_posterior_trace(chains=2, draws=300)
    first = exmc.sample_posterior_predictive(ir, trace, seed=7).posterior_predictive["y_obs"].copy()
    again = exmc.sample_posterior_predictive(ir, trace, seed=7).posterior_predictive["y_obs"]
    other = exmc.sample_posterior_predictive(ir, trace, seed=8).posterior_predictive["y_obs"]
    np.testing.assert_array_equal(first, again)
    assert not np.any(first == other)
    monkeypatch.setattr(pointwise, "_MAX_CHUNK", 64)
    chunked = exmc.sample_posterior_predictive(ir, trace, seed=7).posterior_predictive["y_obs"]
    np.testing.assert_array_equal(first, chunked)
    a = exmc.sample_prior_predictive(ir, draws=200, seed=3)
    b = exmc.sample_prior_predictive(ir, draws=200, seed=3)
    np.testing.assert_array_equal(a.prior["mu"], b.prior["mu"])
    np.testing.assert_array_equal(a.prior_predictive["y_obs"], b.prior_predictive["y_obs"])


def test_draws_are_vectorised_one_compilation_for_all_chunks(monkeypatch):
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if event.endswith("backend_compile_duration") else None
    )
    monkeypatch.setattr(pointwise, "_MAX_CHUNK", 50)
    ir = conjugate_model()
    exmc.sample_prior_predictive(ir, draws=10, seed=0)  # JAX's own per-shape helpers first
    before = len(compiles)
    exmc.sample_prior_predictive(ir, draws=1000, seed=0)  # 20 chunks
    assert len(compiles) - before == 1  # the one vmapped sampler, keys made inside it


def test_bad_arguments_are_exmc_errors():
    ir = conjugate_model()
    with pytest.raises(exmc.SettingsError, match="draws"):
        exmc.sample_prior_predictive(ir, draws=0)
    with pytest.raises(exmc.SettingsError, match="seed"):
        exmc.sample_prior_predictive(ir, draws=5, seed=-1)
    with pytest.raises(exmc.UnknownReferenceError, match="'mu'"):
        exmc.sample_posterior_predictive(ir, exmc.Trace(posterior={"nu": np.zeros((1, 3))}, sample_stats={}))
    with pytest.raises(exmc.ObservationError, match="observes nothing"):
        exmc.sample_posterior_predictive(
            exmc.Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0}), exact_posterior_trace()
        )
