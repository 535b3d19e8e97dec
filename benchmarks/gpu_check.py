"""On an accelerator: the posterior checks and the timings of the layouts.

    python benchmarks/gpu_check.py          # run by benchmarks/gpu_check.sh

Samples a conjugate Normal model (posterior known) in every layout and asserts the ESS-based
tolerance |mean - truth| < 5 sd / sqrt(ESS); then times eight schools and a logistic regression
of 10^5 rows, 4 chains, in threads, vectorized and devices, after a first run that compiles.
"""

from __future__ import annotations

import time

import jax
import numpy as np

import exmc
from exmc import Builder
from exmc.demo import eight_schools
from exmc.diagnostics import ess

LAYOUTS = ("threads", "vectorized", "devices")


def conjugate():
    y = np.random.default_rng(0).normal(1.3, 0.7, size=1000)
    precision = 1 / 4.0 + len(y) / 0.49
    ir = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
          .rv("y", exmc.Normal, {"mu": "mu", "sigma": 0.7}).obs("y_obs", "y", y))
    return ir, (y.sum() / 0.49) / precision, precision**-0.5


def logistic(rows=100_000, k=5):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, k))
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-X @ rng.normal(0, 0.5, size=k)))).astype(float)
    return (Builder.new_ir().rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
            .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=k)
            .det("eta", lambda a, b: a + X @ b, ["alpha", "beta"])
            .rv("y", exmc.Bernoulli, {"logit_p": "eta"}).obs("y_obs", "y", y))


def main() -> None:
    print(f"backend {jax.default_backend()}, devices {jax.devices()}")
    ir, mean, sd = conjugate()
    for layout in LAYOUTS:
        chains = 4 if layout != "devices" else 4 * jax.device_count()
        trace = exmc.sample(ir, draws=1000, tune=500, chains=chains, seed=3, chain_method=layout,
                            progressbar=False, checks=False)
        mu = trace.posterior["mu"]
        tolerance = 5 * sd / np.sqrt(ess(mu))
        ok = abs(mu.mean() - mean) < tolerance
        print(f"posterior check {layout}: |{mu.mean():.5f} - {mean:.5f}| < {tolerance:.5f}: {ok}")
        assert ok, layout
    print("| model | layout | seconds (1000+1000, 4 chains) | min ESS/s |")
    print("|---|---|---|---|")
    for name, model in (("eight schools", eight_schools()), ("logistic 1e5 rows", logistic())):
        model = exmc.compile_model(model)
        for layout in LAYOUTS:
            settings = dict(chains=4, seed=1, chain_method=layout, progressbar=False, checks=False)
            exmc.sample(model, draws=2, tune=2, **settings)
            start = time.perf_counter()
            trace = exmc.sample(model, draws=1000, tune=1000, **settings)
            seconds = time.perf_counter() - start
            low = min(float(np.min(ess(v.reshape(v.shape[:2] + (-1,))[..., i])))
                      for v in trace.posterior.values() for i in range(int(np.prod(v.shape[2:]))))
            print(f"| {name} | {layout} | {seconds:.1f} | {low / seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
