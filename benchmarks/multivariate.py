"""Exmc against NumPyro on two multivariate models, each run in a fresh process.

- ``varying_slopes``: 85 groups x (intercept, slope) with an LKJCholesky(2, 2) prior on their
  correlation, scales HalfNormal(1), 919 observations (the radon data's sizes, simulated);
- ``ordered_logistic``: 600 ordinal outcomes in 5 categories, 4 predictors, cutpoints with a
  Normal(0, 5) density on the ordered vector.

Both samplers: 4 chains, 1000 warmup + 1000 draws, float64. Per (model, sampler) a new
Python process builds the model, samples once and reports total wall time (model to draws,
compilation included), min bulk ESS over the free parameters' elements (constant elements
of L excepted), ESS/s of total wall time, and the process's peak RSS. NumPyro runs its
chains "vectorized" (its faster method on one CPU, see benchmarks/run.py). The same
posterior in both is checked by ``--check`` (log-densities at random points differ by a
constant).

    python benchmarks/multivariate.py [--models varying_slopes,ordered_logistic] [--samplers exmc,numpyro]

Results as a table on stdout and JSON in benchmarks/results/multivariate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "multivariate.json"
CHAINS, TUNE, DRAWS, SEED = 4, 1000, 1000, 0


def varying_slopes_data(groups: int = 85, n: int = 919, seed: int = 1):
    rng = np.random.default_rng(seed)
    group = np.sort(np.r_[np.arange(groups), rng.integers(0, groups, n - groups)])
    x = rng.integers(0, 2, n).astype(float)  # floor: basement or not
    cov = np.array([[0.3**2, -0.5 * 0.3 * 0.2], [-0.5 * 0.3 * 0.2, 0.2**2]])
    ab = rng.multivariate_normal([1.5, -0.6], cov, size=groups)
    y = ab[group, 0] + ab[group, 1] * x + rng.normal(0.0, 0.7, n)
    return group, x, y


def ordered_logistic_data(n: int = 600, k: int = 4, seed: int = 2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    beta = np.array([1.0, -0.5, 0.3, 0.0])
    cut = np.array([-2.0, -0.5, 0.5, 2.0])
    latent = X @ beta + rng.logistic(size=n)
    y = (latent[:, None] > cut).sum(1).astype(float)
    return X, y


def exmc_model(name: str):
    import exmc
    from exmc import Builder

    if name == "varying_slopes":
        group, x, y = varying_slopes_data()
        return (
            Builder.new_ir()
            .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
            .rv("tau", exmc.HalfNormal, {"sigma": 1.0}, shape=2)
            .det("chol", lambda L, tau: tau[:, None] * L, ["L", "tau"])
            .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0}, shape=2)
            .rv("ab", exmc.MvNormal, {"mu": "mu", "chol": "chol"}, shape=(85, 2))
            .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
            .det("mu_y", lambda ab: ab[group, 0] + ab[group, 1] * x, ["ab"])
            .rv("y", exmc.Normal, {"mu": "mu_y", "sigma": "sigma"})
            .obs("y_obs", "y", y)
        ), ("L", "tau", "mu", "ab", "sigma")
    X, y = ordered_logistic_data()
    return (
        Builder.new_ir()
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=X.shape[1])
        .rv("cutpoints", exmc.Normal, {"mu": 0.0, "sigma": 5.0}, shape=4, transform="ordered")
        .det("eta", lambda beta: X @ beta, ["beta"])
        .rv("y", exmc.OrderedLogistic, {"eta": "eta", "cutpoints": "cutpoints"})
        .obs("y_obs", "y", y)
    ), ("beta", "cutpoints")


def numpyro_model(name: str):
    import numpyro
    import numpyro.distributions as nd

    if name == "varying_slopes":
        group, x, y = varying_slopes_data()

        def model():
            L = numpyro.sample("L", nd.LKJCholesky(2, 2.0))
            tau = numpyro.sample("tau", nd.HalfNormal(1.0).expand([2]))
            mu = numpyro.sample("mu", nd.Normal(0.0, 2.0).expand([2]))
            with numpyro.plate("groups", 85):
                ab = numpyro.sample("ab", nd.MultivariateNormal(mu, scale_tril=tau[:, None] * L))
            sigma = numpyro.sample("sigma", nd.HalfNormal(1.0))
            numpyro.sample("y", nd.Normal(ab[group, 0] + ab[group, 1] * x, sigma), obs=y)

        return model, ("L", "tau", "mu", "ab", "sigma")
    X, y = ordered_logistic_data()

    def model():
        beta = numpyro.sample("beta", nd.Normal(0.0, 1.0).expand([X.shape[1]]))
        c = numpyro.sample("cutpoints", nd.ImproperUniform(nd.constraints.ordered_vector, (), (4,)))
        numpyro.factor("cutpoints_prior", nd.Normal(0.0, 5.0).log_prob(c).sum())  # as Exmc's
        numpyro.sample("y", nd.OrderedLogistic(X @ beta, c), obs=y.astype(int))

    return model, ("beta", "cutpoints")


def min_ess(posterior: dict, names) -> float:
    from exmc.diagnostics import ess_bulk

    values = []
    for name in names:
        draws = np.asarray(posterior[name], dtype=np.float64)
        flat = draws.reshape(draws.shape[:2] + (-1,))
        varying = flat.std(axis=(0, 1)) > 0  # the constant elements of a Cholesky factor
        values.append(np.asarray(ess_bulk(flat[..., varying])).ravel())
    return float(np.min(np.concatenate(values)))


def run_one(model_name: str, sampler: str) -> dict:
    """One (model, sampler) in this process."""
    start = time.perf_counter()
    if sampler == "exmc":
        import exmc

        ir, names = exmc_model(model_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exmc.SamplingWarning)
            trace = exmc.sample(ir, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=SEED, progressbar=False)
        posterior, divergences = trace.posterior, int(trace.sample_stats["diverging"].sum())
    else:
        import numpyro

        numpyro.enable_x64()
        import jax
        from numpyro.infer import MCMC, NUTS

        model, names = numpyro_model(model_name)
        mcmc = MCMC(NUTS(model), num_warmup=TUNE, num_samples=DRAWS, num_chains=CHAINS,
                    chain_method="vectorized", progress_bar=False)
        mcmc.run(jax.random.PRNGKey(SEED))
        posterior = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    total = time.perf_counter() - start
    ess = min_ess(posterior, names)
    return {
        "model": model_name, "sampler": sampler, "total_s": total, "min_ess_bulk": ess,
        "ess_per_s": ess / total, "divergences": divergences,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def check(model_name: str, points: int = 5) -> float:
    """Spread of Exmc's log-density + NumPyro's potential energy over random points (0 when
    the posteriors agree up to a constant), relative to 1 + |log-density|."""
    import numpyro

    numpyro.enable_x64()
    import jax.numpy as jnp
    from numpyro.infer.util import potential_energy

    import exmc

    ir, _ = exmc_model(model_name)
    compiled = exmc.compile_model(ir, noncenter=False)
    model, _ = numpyro_model(model_name)
    rng = np.random.default_rng(0)
    sums, scale = [], 1.0
    for _ in range(points):
        flat = rng.uniform(-1.0, 1.0, compiled.dim)
        blocks = {b.name: jnp.asarray(flat[b.slice].reshape(b.shape)) for b in compiled.layout.blocks}
        logp = compiled.logp(flat)
        sums.append(logp + float(potential_energy(model, (), {}, blocks)))
        scale = max(scale, 1.0 + abs(logp))
    return (max(sums) - min(sums)) / scale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="varying_slopes,ordered_logistic")
    parser.add_argument("--samplers", default="exmc,numpyro")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "SAMPLER"), help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="check that both versions agree")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return 0
    models = args.models.split(",")
    if args.check:
        bad = 0
        for name in models:
            spread = check(name)
            print(f"{name}: relative spread {spread:.2e}")
            bad += spread > 1e-8
        return int(bad > 0)
    rows = []
    for name in models:
        for sampler in args.samplers.split(","):
            print(f"{name} / {sampler} ...", file=sys.stderr, flush=True)
            out = subprocess.run([sys.executable, __file__, "--one", name, sampler], capture_output=True,
                                 text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if out.returncode:
                print(out.stderr[-3000:], file=sys.stderr)
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| model | sampler | total s | min bulk ESS | ESS/s | divergences | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['model']} | {r['sampler']} | {r['total_s']:.1f} | {r['min_ess_bulk']:.0f} | "
              f"{r['ess_per_s']:.1f} | {r['divergences']} | {r['peak_rss_mb']:.0f} |")
    for name in models:
        by = {r["sampler"]: r for r in rows if r["model"] == name}
        if "exmc" in by and "numpyro" in by:
            print(f"{name}: Exmc / NumPyro ESS/s {by['exmc']['ess_per_s'] / by['numpyro']['ess_per_s']:.2f}x, "
                  f"total wall time {by['numpyro']['total_s'] / by['exmc']['total_s']:.2f}x shorter")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
