"""The benchmark models, each written once for Exmc and once for NumPyro.

Every model's data is synthetic, drawn from a fixed NumPy seed, and shared by both
versions; priors and likelihoods are the same, distribution by distribution. Both are
written as a user would write them: hierarchical Normals are centered (Exmc non-centers
them itself; NumPyro samples them as written).

``python benchmarks/models.py --check`` checks that both versions define the same
posterior: Exmc's log-density, compiled without non-centering so that its flat vector is
NumPyro's unconstrained parametrization (identity for real, log for positive), plus
NumPyro's potential energy must be the same constant at random points.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as nd
from numpyro.infer.util import potential_energy

import exmc
from exmc import Builder

SEED = 20240601


@dataclass(frozen=True)
class Model:
    """One benchmark model.

    Attributes
    ----------
    name : short name, as ``run.py --models`` takes it.
    title : one line for the table.
    ir : the Exmc model.
    numpyro_model : the NumPyro model function (no arguments; the data are closed over).
    pymc_model : builds the same model in PyMC, for nutpie (PyMC is imported only there).
    """

    name: str
    title: str
    ir: exmc.IR
    numpyro_model: Callable[[], None]
    pymc_model: Callable[[], object] | None = None  # builds the PyMC model (for nutpie); pymc imported inside
    # False where PyMC's unconstrained coordinates differ from Exmc's (LKJCholeskyCov packs the
    # scales with the correlation): the --check against PyMC is then skipped, said so
    pymc_same_coordinates: bool = True

    @property
    def params(self) -> tuple[str, ...]:
        """The free parameters in the user's parametrization (also NumPyro's latent sites)."""
        return self.ir.free_rvs()


def readme() -> Model:
    """The README's model: a Normal with unknown mean and scale, three observations."""
    y = np.array([2.1, 1.8, 2.5])
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("x_obs", "x", y)
    )

    def model():
        mu = numpyro.sample("mu", nd.Normal(0.0, 5.0))
        sigma = numpyro.sample("sigma", nd.HalfNormal(2.0))
        with numpyro.plate("n", len(y)):
            numpyro.sample("x", nd.Normal(mu, sigma), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            mu = pm.Normal("mu", 0.0, 5.0)
            sigma = pm.HalfNormal("sigma", 2.0)
            pm.Normal("x", mu, sigma, observed=y)
        return m

    return Model("readme", "README model (2 params, 3 obs)", ir, model, pymc_model)


def eight_schools() -> Model:
    """Eight schools, centered as written (theta ~ Normal(mu, tau))."""
    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    sigma = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    ir = (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("tau", exmc.HalfCauchy, {"beta": 5.0})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=8)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": sigma})
        .obs("y_obs", "y", y)
    )

    def model():
        mu = numpyro.sample("mu", nd.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", nd.HalfCauchy(5.0))
        with numpyro.plate("school", 8):
            theta = numpyro.sample("theta", nd.Normal(mu, tau))
            numpyro.sample("y", nd.Normal(theta, jnp.asarray(sigma)), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            mu = pm.Normal("mu", 0.0, 5.0)
            tau = pm.HalfCauchy("tau", 5.0)
            theta = pm.Normal("theta", mu, tau, shape=8)
            pm.Normal("y", theta, sigma, observed=y)
        return m

    return Model("eight_schools", "eight schools, centered (10 params, 8 obs)", ir, model, pymc_model)


def varying_intercept(groups: int = 86, n: int = 900) -> Model:
    """Varying intercepts and a common slope: y ~ Normal(a[group] + b x, sigma_y)."""
    rng = np.random.default_rng(SEED)
    group = rng.permutation(np.arange(n) % groups)
    x = rng.normal(size=n)
    a_true = rng.normal(1.0, 0.7, size=groups)
    y = a_true[group] + 0.5 * x + rng.normal(0.0, 1.0, size=n)

    def linear(a, b):
        return a[group] + b * x

    ir = (
        Builder.new_ir()
        .rv("mu_a", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma_a", exmc.HalfNormal, {"sigma": 2.0})
        .rv("a", exmc.Normal, {"mu": "mu_a", "sigma": "sigma_a"}, shape=groups)
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
        .rv("sigma_y", exmc.HalfNormal, {"sigma": 2.0})
        .det("mu_y", linear, ["a", "b"])
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": "sigma_y"})
        .obs("y_obs", "y", y)
    )

    def model():
        mu_a = numpyro.sample("mu_a", nd.Normal(0.0, 5.0))
        sigma_a = numpyro.sample("sigma_a", nd.HalfNormal(2.0))
        with numpyro.plate("group", groups):
            a = numpyro.sample("a", nd.Normal(mu_a, sigma_a))
        b = numpyro.sample("b", nd.Normal(0.0, 2.0))
        sigma_y = numpyro.sample("sigma_y", nd.HalfNormal(2.0))
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.Normal(linear(a, b), sigma_y), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            mu_a = pm.Normal("mu_a", 0.0, 5.0)
            sigma_a = pm.HalfNormal("sigma_a", 2.0)
            a = pm.Normal("a", mu_a, sigma_a, shape=groups)
            b = pm.Normal("b", 0.0, 2.0)
            sigma_y = pm.HalfNormal("sigma_y", 2.0)
            pm.Normal("y", a[group] + b * x, sigma_y, observed=y)
        return m

    return Model("varying_intercept", f"varying intercepts ({groups + 4} params, {n} obs)", ir, model, pymc_model)


def _logistic_model(name: str, label: str, X: np.ndarray, y: np.ndarray) -> Model:
    """A Bernoulli-logit regression with Normal(0, 2.5) intercept and coefficients, in all three PPLs."""
    n, k = X.shape

    def linear(alpha, beta):
        return alpha + X @ beta

    ir = (
        Builder.new_ir()
        .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=k)
        .det("eta", linear, ["alpha", "beta"])
        .rv("y", exmc.Bernoulli, {"logit_p": "eta"})
        .obs("y_obs", "y", y)
    )

    def model():
        alpha = numpyro.sample("alpha", nd.Normal(0.0, 2.5))
        with numpyro.plate("k", k):
            beta = numpyro.sample("beta", nd.Normal(0.0, 2.5))
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.Bernoulli(logits=linear(alpha, beta)), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            alpha = pm.Normal("alpha", 0.0, 2.5)
            beta = pm.Normal("beta", 0.0, 2.5, shape=k)
            pm.Bernoulli("y", logit_p=alpha + pm.math.dot(X, beta), observed=y)
        return m

    return Model(name, label, ir, model, pymc_model)


def logistic(k: int = 30, n: int = 1000) -> Model:
    """Logistic regression on ``k`` standardised predictors."""
    rng = np.random.default_rng(SEED + 1)
    raw = rng.normal(size=(n, k)) @ rng.normal(0.0, 0.3, size=(k, k)) + rng.normal(size=(n, k))
    X = (raw - raw.mean(0)) / raw.std(0)
    beta_true = rng.normal(0.0, 0.5, size=k)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(0.3 - X @ beta_true))).astype(float)
    return _logistic_model("logistic", f"logistic regression ({k + 1} params, {n} obs)", X, y)


def studentt(k: int = 4, n: int = 300) -> Model:
    """Linear regression with Student-t noise and unknown degrees of freedom."""
    rng = np.random.default_rng(SEED + 2)
    X = rng.normal(size=(n, k))
    y = 1.0 + X @ rng.normal(0.0, 1.0, size=k) + 0.8 * rng.standard_t(3.0, size=n)

    def linear(alpha, beta):
        return alpha + X @ beta

    ir = (
        Builder.new_ir()
        .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 5.0}, shape=k)
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("nu", exmc.Gamma, {"alpha": 2.0, "beta": 0.1})
        .det("mu_y", linear, ["alpha", "beta"])
        .rv("y", exmc.StudentT, {"nu": "nu", "mu": "mu_y", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )

    def model():
        alpha = numpyro.sample("alpha", nd.Normal(0.0, 5.0))
        with numpyro.plate("k", k):
            beta = numpyro.sample("beta", nd.Normal(0.0, 5.0))
        sigma = numpyro.sample("sigma", nd.HalfNormal(2.0))
        nu = numpyro.sample("nu", nd.Gamma(2.0, 0.1))
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.StudentT(nu, linear(alpha, beta), sigma), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            alpha = pm.Normal("alpha", 0.0, 5.0)
            beta = pm.Normal("beta", 0.0, 5.0, shape=k)
            sigma = pm.HalfNormal("sigma", 2.0)
            nu = pm.Gamma("nu", alpha=2.0, beta=0.1)
            pm.StudentT("y", nu=nu, mu=alpha + pm.math.dot(X, beta), sigma=sigma, observed=y)
        return m

    return Model("studentt", f"Student-t regression ({k + 3} params, {n} obs)", ir, model, pymc_model)


def scaled_normal(d: int = 100) -> Model:
    """A ``d``-dimensional Normal with scales spread log-evenly from 0.01 to 100."""
    scales = np.logspace(-2.0, 2.0, d)
    ir = Builder.new_ir().rv("x", exmc.Normal, {"mu": 0.0, "sigma": scales}, shape=d)

    def model():
        with numpyro.plate("d", d):
            numpyro.sample("x", nd.Normal(0.0, jnp.asarray(scales)))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            pm.Normal("x", 0.0, scales, shape=d)
        return m

    return Model("scaled_normal", f"{d}-d Normal, scales 0.01..100 ({d} params)", ir, model, pymc_model)


def correlated_predictors(rng, n: int, k: int, rho: float) -> np.ndarray:
    """``n`` rows of ``k`` standardised predictors, every pair correlated ``rho`` (one
    common factor)."""
    common = rng.normal(size=(n, 1))
    raw = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * rng.normal(size=(n, k))
    return (raw - raw.mean(0)) / raw.std(0)


def linreg_corr(k: int = 10, n: int = 200, rho: float = 0.95) -> Model:
    """Linear regression on ``k`` predictors correlated ``rho`` pairwise: the slopes'
    posterior is strongly correlated (what a diagonal metric cannot see)."""
    rng = np.random.default_rng(SEED + 3)
    X = correlated_predictors(rng, n, k, rho)
    y = 0.5 + X @ rng.normal(0.0, 1.0, size=k) + rng.normal(0.0, 1.0, size=n)

    def linear(alpha, beta):
        return alpha + X @ beta

    ir = (
        Builder.new_ir()
        .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=k)
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .det("mu_y", linear, ["alpha", "beta"])
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )

    def model():
        alpha = numpyro.sample("alpha", nd.Normal(0.0, 5.0))
        with numpyro.plate("k", k):
            beta = numpyro.sample("beta", nd.Normal(0.0, 2.5))
        sigma = numpyro.sample("sigma", nd.HalfNormal(2.0))
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.Normal(linear(alpha, beta), sigma), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            alpha = pm.Normal("alpha", 0.0, 5.0)
            beta = pm.Normal("beta", 0.0, 2.5, shape=k)
            sigma = pm.HalfNormal("sigma", 2.0)
            pm.Normal("y", alpha + pm.math.dot(X, beta), sigma, observed=y)
        return m

    return Model("linreg_corr", f"linear regression, {k} predictors correlated {rho} ({k + 2} params, {n} obs)",
                 ir, model, pymc_model)


def logistic_corr(k: int = 30, n: int = 1000, rho: float = 0.8) -> Model:
    """Logistic regression on ``k`` predictors correlated ``rho`` pairwise."""
    rng = np.random.default_rng(SEED + 4)
    X = correlated_predictors(rng, n, k, rho)
    beta_true = rng.normal(0.0, 0.3, size=k)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-0.2 - X @ beta_true))).astype(float)
    return _logistic_model(
        "logistic_corr", f"logistic regression, {k} predictors correlated {rho} ({k + 1} params, {n} obs)", X, y
    )


def varying_slopes(groups: int = 85, n: int = 919) -> Model:
    """Varying intercepts and slopes with an LKJCholesky(2, 2) correlation, HalfNormal(1) scales:
    the radon model's sizes (85 counties, 919 houses, a basement indicator), simulated."""
    rng = np.random.default_rng(SEED + 5)
    group = np.sort(np.r_[np.arange(groups), rng.integers(0, groups, n - groups)])
    x = rng.integers(0, 2, n).astype(float)
    cov = np.array([[0.3**2, -0.5 * 0.3 * 0.2], [-0.5 * 0.3 * 0.2, 0.2**2]])
    ab_true = rng.multivariate_normal([1.5, -0.6], cov, size=groups)
    y = ab_true[group, 0] + ab_true[group, 1] * x + rng.normal(0.0, 0.7, n)

    def linear(ab):
        return ab[group, 0] + ab[group, 1] * x

    ir = (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 1.0}, shape=2)
        .det("chol", lambda L, tau: tau[:, None] * L, ["L", "tau"])
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0}, shape=2)
        .rv("ab", exmc.MvNormal, {"mu": "mu", "chol": "chol"}, shape=(groups, 2))
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .det("mu_y", linear, ["ab"])
        .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )

    def model():
        L = numpyro.sample("L", nd.LKJCholesky(2, 2.0))
        tau = numpyro.sample("tau", nd.HalfNormal(1.0).expand([2]))
        mu = numpyro.sample("mu", nd.Normal(0.0, 2.0).expand([2]))
        with numpyro.plate("groups", groups):
            ab = numpyro.sample("ab", nd.MultivariateNormal(mu, scale_tril=tau[:, None] * L))
        sigma = numpyro.sample("sigma", nd.HalfNormal(1.0))
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.Normal(linear(ab), sigma), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            # PyMC's spelling of the same prior: LKJ(2) on the correlation, HalfNormal(1) scales
            chol, _, stds = pm.LKJCholeskyCov("chol", n=2, eta=2.0, sd_dist=pm.HalfNormal.dist(1.0, shape=2),
                                              compute_corr=True)
            pm.Deterministic("L", chol / stds[:, None])
            pm.Deterministic("tau", stds)
            mu = pm.Normal("mu", 0.0, 2.0, shape=2)
            ab = pm.MvNormal("ab", mu, chol=chol, shape=(groups, 2))
            sigma = pm.HalfNormal("sigma", 1.0)
            pm.Normal("y", ab[group, 0] + ab[group, 1] * x, sigma, observed=y)
        return m

    return Model("varying_slopes", f"varying slopes, LKJ ({groups} groups x 2, {2 * groups + 6} params, {n} obs)",
                 ir, model, pymc_model, pymc_same_coordinates=False)


def ordered_logistic(n: int = 600, k: int = 4) -> Model:
    """Ordered logistic regression: 5 categories, 4 predictors, Normal(0, 5) on the ordered cutpoints."""
    rng = np.random.default_rng(SEED + 6)
    X = rng.normal(size=(n, k))
    beta_true = np.array([1.0, -0.5, 0.3, 0.0])[:k]
    cut_true = np.array([-2.0, -0.5, 0.5, 2.0])
    y = ((X @ beta_true + rng.logistic(size=n))[:, None] > cut_true).sum(1)

    ir = (
        Builder.new_ir()
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=k)
        .rv("cutpoints", exmc.Normal, {"mu": 0.0, "sigma": 5.0}, shape=4, transform="ordered")
        .det("eta", lambda beta: X @ beta, ["beta"])
        .rv("y", exmc.OrderedLogistic, {"eta": "eta", "cutpoints": "cutpoints"})
        .obs("y_obs", "y", y.astype(float))
    )

    def model():
        beta = numpyro.sample("beta", nd.Normal(0.0, 1.0).expand([k]))
        c = numpyro.sample("cutpoints", nd.ImproperUniform(nd.constraints.ordered_vector, (), (4,)))
        numpyro.factor("cutpoints_prior", nd.Normal(0.0, 5.0).log_prob(c).sum())  # Exmc's prior on the ordered vector
        with numpyro.plate("n", n):
            numpyro.sample("y", nd.OrderedLogistic(jnp.asarray(X) @ beta, c), obs=jnp.asarray(y))

    def pymc_model():
        import pymc as pm

        with pm.Model() as m:
            beta = pm.Normal("beta", 0.0, 1.0, shape=k)
            c = pm.Normal("cutpoints", 0.0, 5.0, shape=4, transform=pm.distributions.transforms.ordered,
                          initval=np.array([-1.5, -0.5, 0.5, 1.5]))
            pm.OrderedLogistic("y", eta=X @ beta, cutpoints=c, observed=y)
        return m

    return Model("ordered_logistic", f"ordered logistic, 5 categories ({k + 4} params, {n} obs)",
                 ir, model, pymc_model)


MODELS: dict[str, Callable[[], Model]] = {
    f.__name__: f for f in (readme, eight_schools, varying_intercept, logistic, studentt, scaled_normal,
                            linreg_corr, logistic_corr, varying_slopes, ordered_logistic)
}


def check(model: Model, points: int = 5, seed: int = 1) -> float:
    """Check that the Exmc and NumPyro versions of ``model`` define the same posterior.

    Parameters
    ----------
    model : the model.
    points : how many random unconstrained points to compare at (uniform in (-2, 2)).
    seed : seed for the points.

    Returns
    -------
    float
        The spread (max - min) over the points of Exmc's log-density plus NumPyro's
        potential energy, relative to 1 + the largest |log-density|: zero up to rounding
        when the posteriors agree.
    """
    compiled = exmc.compile_model(model.ir, noncenter=False)
    blocks = compiled.layout.blocks
    if tuple(sorted(b.name for b in blocks)) != tuple(sorted(model.params)):
        raise AssertionError(f"{model.name}: Exmc moves {[b.name for b in blocks]}, expected {model.params}")
    rng = np.random.default_rng(seed)
    sums, scale = [], 1.0
    for _ in range(points):
        flat = rng.uniform(-2.0, 2.0, compiled.dim)
        unconstrained = {b.name: jnp.asarray(flat[b.slice].reshape(b.shape)) for b in blocks}
        energy = potential_energy(model.numpyro_model, (), {}, unconstrained)
        logp = compiled.logp(flat)
        sums.append(logp + float(energy))
        scale = max(scale, 1.0 + abs(logp))
    return (max(sums) - min(sums)) / scale


def check_pymc(model: Model, points: int = 5, seed: int = 1) -> float:
    """As ``check``, for the PyMC version (nutpie's): Exmc's log-density minus PyMC's
    (Jacobians included; log transforms for positive variables in both)."""
    compiled = exmc.compile_model(model.ir, noncenter=False)
    pm_model = model.pymc_model()
    logp_fn = pm_model.compile_logp(jacobian=True)
    names = {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}
    rng = np.random.default_rng(seed)
    diffs, scale = [], 1.0
    for _ in range(points):
        flat = rng.uniform(-2.0, 2.0, compiled.dim)
        point = {names[b.name]: flat[b.slice].reshape(b.shape) for b in compiled.layout.blocks}
        logp = compiled.logp(flat)
        diffs.append(logp - float(logp_fn(point)))
        scale = max(scale, 1.0 + abs(logp))
    return (max(diffs) - min(diffs)) / scale


def main(argv: list[str] | None = None) -> int:
    """``--check``: compare both versions of every model; exit 1 if any disagrees."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check that both versions agree")
    args = parser.parse_args(argv)
    if not args.check:
        parser.print_help()
        return 0
    numpyro.enable_x64()  # global; NumPyro has no thread-local float64 switch
    failed = 0
    for build in MODELS.values():
        model = build()
        spread = check(model)
        ok = spread < 1e-10
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {model.name:18s} relative spread of logp + potential energy: {spread:.1e}")
        if model.pymc_model is not None and not model.pymc_same_coordinates:
            print(f"skip {model.name:18s} PyMC's unconstrained coordinates differ from Exmc's: not compared point by point")
        elif model.pymc_model is not None:
            spread = check_pymc(model)
            ok = spread < 1e-10
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {model.name:18s} relative spread of Exmc logp - PyMC logp: {spread:.1e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
