"""Past one CPU: a logistic regression of 10^5 and 10^6 rows on 1, 2 and 4 (simulated) CPU
devices, by layout, with ESS/s and the scaling efficiency; NumPyro where it applies.
Layouts: Exmc's ``threads``, ``vectorized``, ``devices`` (chains over devices) and ``rows``
(``chain_method="devices", shard_data=True``: every device holds every chain and a slice of
the rows of the design matrix, a data node); NumPyro's ``vectorized`` and ``parallel``.

    python benchmarks/scale.py                 # every configuration, one process each, a table
    python benchmarks/scale.py --rows 100000   # one size
    python benchmarks/scale.py --rows 1000000 --only exmc:threads:1,exmc:devices:4
    python benchmarks/scale.py --one exmc --layout devices --devices 4 --rows 100000

Each configuration runs in a process of its own: the device count is fixed at JAX's first
computation, and NumPyro and Exmc in one process clash over JAX's float32/x64 settings.
Times are wall seconds of warmup and sampling after a first short run that compiled
everything (both libraries keep their compiled programs between runs of the same model);
ESS is the smallest bulk ESS over the parameters (Exmc's ``ess``, the same for both);
efficiency = (ESS/s on d devices) / (d x ESS/s of the same layout on 1 device).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

K = 5          # predictors
CHAINS = 4
SEED = 20240601


def data(rows: int):
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(rows, K))
    beta = rng.normal(0.0, 0.5, size=K)
    y = (rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(0.3 - X @ beta))).astype(float)
    return X, y


def iterations(rows: int) -> tuple[int, int]:
    """(tune, draws): fewer for the million rows, so that the run fits a shared machine."""
    return (200, 200) if rows <= 100_000 else (50, 50)


def unreported(ir, name: str):
    """``ir`` with det node ``name`` kept out of the trace, as the rewrite passes' own det
    nodes are. Every det node is reported for every draw: the linear predictor has a value per
    row, so 10^5 rows x 4 chains x a 1024-draw chunk would be 3 GB a batch, and the benchmark
    would measure the trace, not the sampler (Exmc has no public switch for this yet)."""
    import dataclasses

    from exmc.ir.nodes import Det
    from exmc.rewrite.noncenter import INTERNAL

    nodes = tuple(dataclasses.replace(n, origin=INTERNAL) if isinstance(n, Det) and n.name == name else n
                  for n in ir.nodes)
    return ir.replace(nodes)


def run_exmc(rows: int, layout: str, devices: int) -> dict:
    import exmc

    exmc.set_host_devices(devices)
    from exmc import Builder
    from exmc.diagnostics import ess

    X, y = data(rows)
    ir = (Builder.new_ir()
          .data("X", X)  # a data node: its rows can be split over devices (layout "rows")
          .rv("alpha", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
          .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=K)
          .det("eta", lambda a, X, b: a + X @ b, ["alpha", "X", "beta"])
          .rv("y", exmc.Bernoulli, {"logit_p": "eta"}).obs("y_obs", "y", y))
    model = exmc.compile_model(unreported(ir, "eta"))
    split = layout == "rows"  # every device holds every chain and a quarter of the rows
    settings = dict(chains=CHAINS, seed=1, chain_method="devices" if split else layout, shard_data=split,
                    progressbar=False, checks=False)
    exmc.sample(model, draws=2, tune=2, **settings)  # compiles (kept on the model)
    tune, draws = iterations(rows)
    start = time.perf_counter()
    trace = exmc.sample(model, draws=draws, tune=tune, **settings)
    seconds = time.perf_counter() - start
    post = trace.posterior
    columns = [post["alpha"]] + [post["beta"][..., i] for i in range(K)]
    return dict(seconds=seconds, ess=float(min(ess(c) for c in columns)), draws=draws, tune=tune)


def run_numpyro(rows: int, layout: str, devices: int) -> dict:
    import numpyro

    numpyro.set_host_device_count(devices)
    numpyro.enable_x64()
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as nd
    from numpyro.infer import MCMC, NUTS

    from exmc.diagnostics import ess

    X, y = data(rows)
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def model():
        alpha = numpyro.sample("alpha", nd.Normal(0.0, 2.5))
        with numpyro.plate("k", K):
            beta = numpyro.sample("beta", nd.Normal(0.0, 2.5))
        with numpyro.plate("n", rows):
            numpyro.sample("y", nd.Bernoulli(logits=alpha + Xj @ beta), obs=yj)

    tune, draws = iterations(rows)
    mcmc = MCMC(NUTS(model), num_warmup=tune, num_samples=draws, num_chains=CHAINS,
                chain_method=layout, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(0))  # compiles
    start = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(1))
    jax.block_until_ready(mcmc.get_samples())
    seconds = time.perf_counter() - start
    post = mcmc.get_samples(group_by_chain=True)
    columns = [np.asarray(post["alpha"])] + [np.asarray(post["beta"])[..., i] for i in range(K)]
    return dict(seconds=seconds, ess=float(min(ess(c) for c in columns)), draws=draws, tune=tune)


CONFIGS = [  # (library, layout, devices); "rows": chain_method="devices" with shard_data=True
    ("exmc", "threads", 1), ("exmc", "vectorized", 1),
    ("exmc", "devices", 1), ("exmc", "devices", 2), ("exmc", "devices", 4),
    ("exmc", "rows", 1), ("exmc", "rows", 2), ("exmc", "rows", 4),
    ("numpyro", "vectorized", 1), ("numpyro", "parallel", 4),
]


def one(library: str, layout: str, devices: int, rows: int) -> dict:
    cmd = [sys.executable, __file__, "--one", library, "--layout", layout, "--devices", str(devices),
           "--rows", str(rows)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        return dict(error=out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=["exmc", "numpyro"])
    parser.add_argument("--layout", default="devices")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--only", help="configurations as library:layout:devices, comma-separated")
    args = parser.parse_args()
    configs = CONFIGS
    if args.only:
        configs = [(c.split(":")[0], c.split(":")[1], int(c.split(":")[2])) for c in args.only.split(",")]
    if args.one:
        run = run_exmc if args.one == "exmc" else run_numpyro
        print(json.dumps(run(args.rows[0], args.layout, args.devices)))
        return
    print(f"| rows | library | layout | devices | tune+draws | seconds | min ESS | ESS/s | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rows in args.rows or [100_000, 1_000_000]:
        base = {}
        for library, layout, devices in configs:
            r = one(library, layout, devices, rows)
            if "error" in r:
                print(f"| {rows:,} | {library} | {layout} | {devices} | | failed: {r['error']} | | | |", flush=True)
                continue
            rate = r["ess"] / r["seconds"]
            if devices == 1:
                base[library, layout] = rate
            ref = base.get((library, layout)) or base.get((library, "vectorized"))
            eff = f"{rate / (devices * ref):.2f}" if ref else ""
            print(f"| {rows:,} | {library} | {layout} | {devices} | {r['tune']}+{r['draws']} | {r['seconds']:.1f} | "
                  f"{r['ess']:.0f} | {rate:.1f} | {eff} |", flush=True)


if __name__ == "__main__":
    main()
