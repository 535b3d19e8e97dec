"""The multivariate, categorical and mixture families (decision 40): log-densities against
scipy.stats or a formula written here, tails included, at 1e-8 relative; gradients against
finite differences; samplers against the distributions they draw from (fixed seeds, tests
at p > 0.001); event shapes (one log-density per event).

Every JAX computation here runs under float64 (the ``x64`` fixture, applied module-wide).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import exmc
from exmc.transforms import TRANSFORMS

pytestmark = pytest.mark.usefixtures("x64")

RTOL = 1e-8
ATOL = 1e-12

CORR = TRANSFORMS["corr_cholesky"]


def _close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)


def _spd(k, rng, scale=1.0):
    a = rng.normal(size=(k, k))
    return scale * (a @ a.T + k * np.eye(k))


def _random_corr_chol(n, rng, spread=2.0):
    return np.asarray(CORR.forward(jnp.asarray(rng.uniform(-spread, spread, n * (n - 1) // 2))))


# ---------------------------------------------------------------------------------------
# log-densities against independent implementations
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["cov", "chol", "tau"])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_mvnormal_logp_matches_scipy_with_tails(form, scale):
    rng = np.random.default_rng(0)
    k = 4
    cov = _spd(k, rng, scale)
    mu = rng.normal(size=k)
    # points from the centre to 30 standard deviations out along random directions
    directions = rng.normal(size=(6, k))
    radii = np.array([0.0, 0.5, 2.0, 8.0, 15.0, 30.0])[:, None]
    x = mu + radii * (directions / np.linalg.norm(directions, axis=1, keepdims=True)) @ np.linalg.cholesky(cov).T
    param = {"cov": cov, "chol": np.linalg.cholesky(cov), "tau": np.linalg.inv(cov)}[form]
    got = exmc.MvNormal.logp(jnp.asarray(x), jnp.asarray(mu), **{form: jnp.asarray(param)})
    assert got.shape == (6,)  # one value per event
    _close(got, stats.multivariate_normal(mu, cov).logpdf(x))


def test_mvnormal_batches_of_parameters_broadcast_against_values():
    rng = np.random.default_rng(1)
    chols = np.stack([np.linalg.cholesky(_spd(3, rng)) for _ in range(5)])  # (5, 3, 3)
    mus = rng.normal(size=(2, 1, 3))  # batch (2, 1)
    x = rng.normal(size=(2, 5, 3))
    got = exmc.MvNormal.logp(jnp.asarray(x), jnp.asarray(mus), chol=jnp.asarray(chols))
    want = np.array([[stats.multivariate_normal(mus[i, 0], chols[j] @ chols[j].T).logpdf(x[i, j])
                      for j in range(5)] for i in range(2)])
    _close(got, want)


def test_mvnormal_run_time_invalid_factor_gives_minus_inf():
    x = jnp.zeros(2)
    assert exmc.MvNormal.logp(x, jnp.zeros(2), chol=jnp.array([[1.0, 0.0], [0.3, -0.5]])) == -jnp.inf
    assert exmc.MvNormal.logp(x, jnp.zeros(2), cov=jnp.array([[1.0, 2.0], [2.0, 1.0]])) == -jnp.inf


def _lkj_vine_logp(L, eta):
    """The LKJ density of L by an independent route: its canonical partial correlations are
    independent Beta(b_j, b_j) on (-1, 1), b_j = eta + (n - 2 - j)/2 (Lewandowski et al. 2009),
    and dL_ij/dz_ij = sqrt(prod_{k<j} (1 - z_ik^2))."""
    n = L.shape[-1]
    rows, cols = np.tril_indices(n, -1)
    rest = np.flip(np.cumsum(np.flip(L * L, -1), -1), -1)  # sum_{k >= j} L_ik^2
    z = L[rows, cols] / np.sqrt(rest[rows, cols])
    b = eta + 0.5 * (n - 2 - cols)
    log_pz = np.sum(stats.beta.logpdf((z + 1.0) / 2.0, b, b) - np.log(2.0))
    return log_pz - 0.5 * np.sum(np.log(rest[rows, cols]))


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("eta", [0.3, 1.0, 2.5, 50.0])
def test_lkj_cholesky_logp_matches_the_vine_construction(n, eta):
    rng = np.random.default_rng(n)
    for spread in (0.5, 2.0, 5.0):  # 5: correlations within 1e-4 of +-1 (the tails)
        L = _random_corr_chol(n, rng, spread)
        _close(exmc.LKJCholesky.logp(jnp.asarray(L), n, eta), _lkj_vine_logp(L, eta))


@pytest.mark.parametrize("eta", [0.5, 1.0, 4.0])
def test_lkj_cholesky_2x2_is_the_scaled_beta_of_the_correlation(eta):
    for r in (-0.999999, -0.5, 0.0, 0.3, 0.99):
        L = np.array([[1.0, 0.0], [r, np.sqrt(1 - r * r)]])
        want = stats.beta.logpdf((r + 1) / 2, eta, eta) - np.log(2.0)
        _close(exmc.LKJCholesky.logp(jnp.asarray(L), 2, eta), want)


@pytest.mark.parametrize("a", [[1.0, 1.0, 1.0], [0.1, 2.0, 30.0], [1e-3, 1e3, 5.0, 0.5]])
def test_dirichlet_logp_matches_scipy_with_tails(a):
    rng = np.random.default_rng(2)
    k = len(a)
    xs = rng.dirichlet(np.ones(k), size=4)
    xs = np.vstack([xs, np.r_[1e-10, np.full(k - 1, (1 - 1e-10) / (k - 1))]])  # one entry near 0
    got = exmc.Dirichlet.logp(jnp.asarray(xs), jnp.asarray(a))
    _close(got, [stats.dirichlet.logpdf(x, a) for x in xs])


def test_dirichlet_scalar_a_is_symmetric():
    x = np.array([0.2, 0.3, 0.5])
    _close(exmc.Dirichlet.logp(jnp.asarray(x), jnp.asarray(2.5)), stats.dirichlet.logpdf(x, [2.5] * 3))


@pytest.mark.parametrize("n, p", [(10, [0.2, 0.3, 0.5]), (1000, [1e-6, 0.5, 0.5 - 1e-6]), (0, [0.5, 0.5])])
def test_multinomial_logp_matches_scipy(n, p):
    rng = np.random.default_rng(3)
    xs = rng.multinomial(n, p, size=5).astype(float)
    xs[0] = np.r_[n, np.zeros(len(p) - 1)]  # every trial in the first, rarest-or-not category
    got = exmc.Multinomial.logp(jnp.asarray(xs), jnp.asarray(float(n)), jnp.asarray(p))
    _close(got, stats.multinomial.logpmf(xs, n, p))


@pytest.mark.parametrize("form", ["p", "logit_p"])
def test_categorical_logp_matches_scipy(form):
    p = np.array([[1e-9, 0.3, 0.7 - 1e-9], [0.2, 0.5, 0.3]])
    x = np.array([[0.0, 1.0, 2.0], [2.0, 0.0, 1.0]])  # (2, 3): one category per element
    param = p if form == "p" else np.log(p) + 7.0  # unnormalised log-probabilities
    got = exmc.Categorical.logp(jnp.asarray(x), **{form: jnp.asarray(param[:, None, :])})
    want = stats.multinomial.logpmf(np.eye(3)[x.astype(int)], 1, p[:, None, :])
    assert got.shape == (2, 3)
    _close(got, want)


def _ordered_logistic_reference(y, eta, c):
    """log(logistic(eta - c_{y-1}) - logistic(eta - c_y)) as log(e^a - e^b) - log(1 + e^a) -
    log(1 + e^b): another algebra than Exmc's (log sigma(a) + log sigma(-b) + log1p(-e^{b-a}))."""
    c = np.concatenate([[-np.inf], c, [np.inf]])
    a, b = eta - c[y], eta - c[y + 1]
    if np.isinf(a):  # first category: 1 - logistic(b)
        return special.log_expit(-b)
    if np.isinf(b):  # last: logistic(a)
        return special.log_expit(a)
    return a + np.log(-np.expm1(b - a)) - np.logaddexp(0.0, a) - np.logaddexp(0.0, b)


@pytest.mark.parametrize("eta", [-40.0, -3.0, 0.0, 0.7, 5.0, 40.0])
def test_ordered_logistic_logp_matches_a_hand_formula_in_the_tails(eta):
    c = np.array([-2.0, -0.5, 1.0, 1.0 + 1e-6, 4.0])
    ys = np.arange(6)
    got = exmc.OrderedLogistic.logp(jnp.asarray(ys.astype(float)), jnp.asarray(eta), jnp.asarray(c))
    want = [_ordered_logistic_reference(y, eta, c) for y in ys]
    _close(got, want)
    # the probabilities of the six categories sum to 1
    assert np.exp(np.asarray(got)).sum() == pytest.approx(1.0, rel=1e-12)


def test_ordered_logistic_unordered_cutpoints_at_run_time_give_minus_inf():
    got = exmc.OrderedLogistic.logp(jnp.array([1.0, 0.0]), jnp.asarray(0.0), jnp.array([1.0, 0.5]))
    assert np.asarray(got)[0] == -np.inf and np.isfinite(np.asarray(got)[1])


@pytest.mark.parametrize("k, sigma", [(2, 1.0), (5, 0.01), (7, 300.0)])
def test_zero_sum_normal_logp_is_the_density_of_its_free_coordinates(k, sigma):
    rng = np.random.default_rng(k)
    z = rng.normal(size=(4, k)) * sigma * np.array([[0.1], [1.0], [5.0], [20.0]])
    x = z - z.mean(-1, keepdims=True)
    cov = sigma**2 * (np.eye(k) - 1.0 / k)[: k - 1, : k - 1]
    got = exmc.ZeroSumNormal.logp(jnp.asarray(x), jnp.asarray(sigma))
    _close(got, stats.multivariate_normal(np.zeros(k - 1), cov).logpdf(x[:, : k - 1]))


def test_gaussian_random_walk_logp_is_normal_steps():
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(0.3, 2.0, size=(3, 10)), -1)
    x[2, 5] += 40.0  # a 20-sigma jump: the tails
    mu, sigma = np.array([0.3, -1.0, 0.0]), np.array([2.0, 0.5, 2.0])
    got = exmc.GaussianRandomWalk.logp(jnp.asarray(x), jnp.asarray(mu), jnp.asarray(sigma))
    steps = np.diff(np.concatenate([np.zeros((3, 1)), x], -1), axis=-1)
    _close(got, stats.norm.logpdf(steps, mu[:, None], sigma[:, None]).sum(-1))


def test_normal_mixture_logp_matches_scipy_with_tails():
    w, mu, sigma = np.array([0.3, 0.7]), np.array([-2.0, 3.0]), np.array([0.5, 1.5])
    x = np.array([-1e3, -30.0, -2.0, 0.4, 3.0, 50.0, 1e3])
    got = exmc.NormalMixture.logp(jnp.asarray(x), jnp.asarray(w), jnp.asarray(mu), jnp.asarray(sigma))
    want = special.logsumexp(np.log(w) + stats.norm.logpdf(x[:, None], mu, sigma), axis=-1)
    _close(got, want)
    # a scalar sigma is every component's
    got = exmc.NormalMixture.logp(jnp.asarray(x), jnp.asarray(w), jnp.asarray(mu), jnp.asarray(1.5))
    _close(got, special.logsumexp(np.log(w) + stats.norm.logpdf(x[:, None], mu, 1.5), axis=-1))


def _mixture_dist(components, w=(0.25, 0.75)):
    ir = exmc.Builder.new_ir().rv("y", exmc.Mixture, {"w": np.array(w), "components": components})
    return ir["y"].dist, dict(ir["y"].params)


def test_general_mixture_logp_matches_scipy():
    dist, params = _mixture_dist([(exmc.Normal, {"mu": 0.0, "sigma": 1.0}),
                                  (exmc.StudentT, {"nu": 3.0, "mu": 2.0, "sigma": 0.5})])
    x = np.array([-1e4, -5.0, 0.0, 2.0, 40.0, 1e6])
    got = dist.logp(jnp.asarray(x), **{k: jnp.asarray(v) for k, v in params.items()})
    want = np.logaddexp(np.log(0.25) + stats.norm.logpdf(x), np.log(0.75) + stats.t.logpdf(x, 3.0, 2.0, 0.5))
    _close(got, want)


def test_discrete_mixture_logp_matches_scipy():
    dist, params = _mixture_dist([(exmc.Poisson, {"mu": 0.5}), (exmc.Poisson, {"mu": 30.0})], w=(0.6, 0.4))
    x = np.array([0.0, 1.0, 10.0, 30.0, 200.0])
    got = dist.logp(jnp.asarray(x), **{k: jnp.asarray(v) for k, v in params.items()})
    _close(got, np.logaddexp(np.log(0.6) + stats.poisson.logpmf(x, 0.5), np.log(0.4) + stats.poisson.logpmf(x, 30.0)))
    assert dist.discrete and dist.__name__ == "Mixture"


def test_the_same_mixture_structure_is_the_same_class():
    a, _ = _mixture_dist([(exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.Normal, {"mu": 1.0, "sigma": 2.0})])
    b, _ = _mixture_dist([(exmc.Normal, {"mu": 5.0, "sigma": 1.0}), (exmc.Normal, {"mu": 1.0, "sigma": 3.0})])
    assert a is b


# ---------------------------------------------------------------------------------------
# gradients against central finite differences
# ---------------------------------------------------------------------------------------

def _check_gradient(f, args, rel=1e-6, h=1e-6):
    """jax.grad of the scalar f against central differences, every argument and entry."""
    args = [jnp.asarray(a, dtype=jnp.float64) for a in args]
    grads = jax.grad(f, argnums=tuple(range(len(args))))(*args)
    f = jax.jit(f)  # one compilation for the many evaluations
    for i, (a, g) in enumerate(zip(args, grads)):
        flat = np.asarray(a).ravel()
        for j in range(flat.size):
            step = np.zeros_like(flat)
            step[j] = h * max(1.0, abs(flat[j]))
            up = [b if k != i else jnp.asarray((flat + step).reshape(a.shape)) for k, b in enumerate(args)]
            down = [b if k != i else jnp.asarray((flat - step).reshape(a.shape)) for k, b in enumerate(args)]
            numeric = (float(f(*up)) - float(f(*down))) / (2 * step[j])
            assert float(np.ravel(g)[j]) == pytest.approx(numeric, rel=rel, abs=1e-6), (i, j)


def test_mvnormal_gradients_match_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 3))
    mu = rng.normal(size=3)
    chol = np.linalg.cholesky(_spd(3, rng))
    cov = chol @ chol.T
    _check_gradient(lambda x, mu, chol: jnp.sum(exmc.MvNormal.logp(x, mu, chol=jnp.tril(chol))), [x, mu, chol])
    # cov and tau: perturb through a symmetric parametrisation (the matrix stays SPD)
    for form, m in (("cov", cov), ("tau", np.linalg.inv(cov))):
        _check_gradient(lambda x, mu, a, form=form: jnp.sum(exmc.MvNormal.logp(x, mu, **{form: 0.5 * (a + a.T)})), [x, mu, m])


def test_lkj_and_dirichlet_and_zero_sum_gradients_match_finite_differences():
    rng = np.random.default_rng(8)
    y = rng.uniform(-1, 1, 6)  # through the transform: the free coordinates move, L stays valid
    _check_gradient(lambda y, eta: exmc.LKJCholesky.logp(CORR.forward(y), 4, eta), [y, 2.0])
    s = TRANSFORMS["simplex"]
    _check_gradient(lambda y, a: exmc.Dirichlet.logp(s.forward(y), a), [rng.normal(size=3), [0.5, 2.0, 3.0, 1.0]])
    z = TRANSFORMS["zero_sum"]
    _check_gradient(lambda y, sigma: exmc.ZeroSumNormal.logp(z.forward(y), sigma), [rng.normal(size=4), 1.3])
    _check_gradient(lambda x, mu, sigma: jnp.sum(exmc.GaussianRandomWalk.logp(x, mu, sigma)),
                    [rng.normal(size=(2, 5)), [0.1, -0.2], [1.0, 2.0]])


def test_categorical_family_gradients_match_finite_differences():
    rng = np.random.default_rng(9)
    x = jnp.array([0.0, 2.0, 1.0, 3.0])
    _check_gradient(lambda l: jnp.sum(exmc.Categorical.logp(x, logit_p=l)), [rng.normal(size=4)])
    _check_gradient(lambda p: jnp.sum(exmc.Categorical.logp(x, p=p)), [[0.1, 0.2, 0.3, 0.4]])
    y = jnp.array([0.0, 1.0, 2.0, 3.0, 3.0])
    _check_gradient(lambda eta, c: jnp.sum(exmc.OrderedLogistic.logp(y, eta, c)),
                    [rng.normal(size=5), [-1.0, 0.2, 1.5]])
    counts = jnp.array([[3.0, 0.0, 7.0], [1.0, 4.0, 5.0]])
    _check_gradient(lambda p: jnp.sum(exmc.Multinomial.logp(counts, 10.0, p)), [[0.2, 0.3, 0.5]])


def test_mixture_gradients_match_finite_differences():
    x = jnp.array([-3.0, 0.1, 2.0, 8.0])
    _check_gradient(lambda w, mu, sigma: jnp.sum(exmc.NormalMixture.logp(x, w, mu, sigma)),
                    [[0.3, 0.7], [-1.0, 2.0], [0.8, 1.7]])
    dist, _ = _mixture_dist([(exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.StudentT, {"nu": 3.0, "mu": 2.0, "sigma": 0.5})])

    def f(w, m0, nu):
        return jnp.sum(dist.logp(x, w=w, **{"components[0].mu": m0, "components[0].sigma": jnp.asarray(1.0),
                                            "components[1].nu": nu, "components[1].mu": jnp.asarray(2.0),
                                            "components[1].sigma": jnp.asarray(0.5)}))
    _check_gradient(f, [[0.4, 0.6], 0.3, 3.0])


# ---------------------------------------------------------------------------------------
# samplers: whole events, from the right distribution
# ---------------------------------------------------------------------------------------

N = 20_000
P_MIN = 1e-3


def _draw(dist, params, shape, seed=0):
    return np.asarray(dist.sample(jax.random.key(seed), {k: jnp.asarray(v) for k, v in params.items()}, shape))


@pytest.mark.slow
@pytest.mark.parametrize("form", ["cov", "chol", "tau"])
def test_mvnormal_sampler_has_the_covariance(form):
    rng = np.random.default_rng(10)
    cov = _spd(3, rng)
    mu = np.array([1.0, -2.0, 0.5])
    param = {"cov": cov, "chol": np.linalg.cholesky(cov), "tau": np.linalg.inv(cov)}[form]
    x = _draw(exmc.MvNormal, {"mu": mu, form: param}, (N, 3))
    # whitened draws are independent standard normals: chi-square of |z|^2 with 3 dof
    z = np.linalg.solve(np.linalg.cholesky(cov), (x - mu).T).T
    assert stats.kstest((z * z).sum(-1), stats.chi2(3).cdf).pvalue > P_MIN
    assert np.abs(np.corrcoef(z.T) - np.eye(3)).max() < 5 / np.sqrt(N)


@pytest.mark.slow
@pytest.mark.parametrize("n, eta", [(2, 1.0), (4, 2.0), (6, 0.7)])
def test_lkj_sampler_marginals_are_the_beta_of_the_theory(n, eta):
    L = _draw(exmc.LKJCholesky, {"n": float(n), "eta": eta}, (N // 4, n, n))
    np.testing.assert_allclose(np.sum(L * L, -1), 1.0, rtol=1e-12)
    corr = L @ np.swapaxes(L, -1, -2)
    b = eta - 1.0 + n / 2.0
    for i, j in [(1, 0), (n - 1, 0), (n - 1, n - 2)]:
        assert stats.kstest((corr[:, i, j] + 1) / 2, stats.beta(b, b).cdf).pvalue > P_MIN


@pytest.mark.slow
def test_dirichlet_multinomial_categorical_samplers():
    a = np.array([0.5, 2.0, 3.0])
    x = _draw(exmc.Dirichlet, {"a": a}, (N, 3))
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    assert stats.kstest(x[:, 0], stats.beta(a[0], a[1:].sum()).cdf).pvalue > P_MIN
    p = np.array([0.1, 0.6, 0.3])
    counts = _draw(exmc.Multinomial, {"n": 12.0, "p": p}, (N, 3))
    assert np.all(counts.sum(-1) == 12)
    assert stats.chisquare(np.bincount(counts[:, 1].astype(int), minlength=13),
                           N * stats.binom.pmf(np.arange(13), 12, 0.6)).pvalue > P_MIN
    cats = _draw(exmc.Categorical, {"logit_p": np.log(p)}, (N,))
    assert stats.chisquare(np.bincount(cats.astype(int), minlength=3), N * p).pvalue > P_MIN


@pytest.mark.slow
def test_ordered_logistic_sampler_frequencies_are_its_probabilities():
    c = np.array([-1.0, 0.5, 2.0])
    y = _draw(exmc.OrderedLogistic, {"eta": 0.3, "cutpoints": c}, (N,))
    probs = np.exp(np.asarray(exmc.OrderedLogistic.logp(jnp.arange(4.0), jnp.asarray(0.3), jnp.asarray(c))))
    assert stats.chisquare(np.bincount(y.astype(int), minlength=4), N * probs).pvalue > P_MIN


@pytest.mark.slow
def test_zero_sum_and_random_walk_samplers():
    x = _draw(exmc.ZeroSumNormal, {"sigma": 2.0}, (N, 4))
    np.testing.assert_allclose(x.sum(-1), 0.0, atol=1e-12)
    assert stats.kstest(x[:, 0] / (2.0 * np.sqrt(1 - 1 / 4)), stats.norm.cdf).pvalue > P_MIN
    w = _draw(exmc.GaussianRandomWalk, {"mu": 0.5, "sigma": 1.5}, (N, 6))
    assert stats.kstest((w[:, 5] - 6 * 0.5) / (1.5 * np.sqrt(6)), stats.norm.cdf).pvalue > P_MIN


@pytest.mark.slow
def test_mixture_samplers_draw_from_the_mixture():
    w, mu, sigma = np.array([0.3, 0.7]), np.array([-2.0, 3.0]), np.array([0.5, 1.5])
    x = _draw(exmc.NormalMixture, {"w": w, "mu": mu, "sigma": sigma}, (N,))

    def cdf(v):
        return w[0] * stats.norm.cdf(v, mu[0], sigma[0]) + w[1] * stats.norm.cdf(v, mu[1], sigma[1])
    assert stats.kstest(x, cdf).pvalue > P_MIN
    dist, params = _mixture_dist([(exmc.Poisson, {"mu": 0.5}), (exmc.Poisson, {"mu": 6.0})], w=(0.6, 0.4))
    y = _draw(dist, params, (N,)).astype(int)
    pmf = 0.6 * stats.poisson.pmf(np.arange(30), 0.5) + 0.4 * stats.poisson.pmf(np.arange(30), 6.0)
    observed = np.bincount(y, minlength=30)[:16]
    expected = N * np.r_[pmf[:15], pmf[15:].sum()]
    observed[15] = (y >= 15).sum()
    assert stats.chisquare(observed, expected).pvalue > P_MIN
