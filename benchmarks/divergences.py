"""Divergences of the README model, Exmc against NumPyro, seed by seed (issue 14, acceptance 2).

The README model (3 observations, ``sigma ~ HalfNormal(2)``) with 4 chains x (1000 warmup +
1000 draws), seeds 0-4 by default: Exmc's default metric (or ``--metric``) and NumPyro's NUTS
(target 0.8, chains vectorized on one device: the chain method does not change what NUTS
does), each in its own process, and the divergences of the 4000 draws per seed and in total,
with the target Exmc's terminal window tuned to (decision 82) and both samplers' step sizes
(the chains' mean).

    python benchmarks/divergences.py [--seeds 0,1,2,3,4] [--metric auto]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHAINS, TUNE, DRAWS = 4, 1000, 1000


def exmc_divergences(seeds: list[int], metric: str) -> list[dict]:
    import exmc
    from models import readme

    ir = exmc.compile_model(readme().ir)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in seeds:
            trace = exmc.sample(ir, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=seed, metric=metric, progressbar=False)
            out.append({"seed": seed, "divergences": int(trace.sample_stats["diverging"].sum()),
                        "metric": trace.attrs["metric_choice"] or trace.attrs["metric_used"],
                        "target": trace.attrs["target_accept_used"], "step": float(trace.sample_stats["step_size"][:, 0].mean())})
    return out


def numpyro_divergences(seeds: list[int]) -> list[dict]:
    import numpyro

    numpyro.enable_x64()  # as benchmarks/run.py: float64, like Exmc
    import jax
    import numpy as np
    from numpyro.infer import MCMC, NUTS

    from models import readme

    model = readme().numpyro_model
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in seeds:
            mcmc = MCMC(NUTS(model, target_accept_prob=0.8), num_warmup=TUNE, num_samples=DRAWS, num_chains=CHAINS,
                        chain_method="vectorized", progress_bar=False)
            mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging",))
            step = float(np.mean(mcmc.last_state.adapt_state.step_size))
            out.append({"seed": seed, "divergences": int(np.sum(mcmc.get_extra_fields()["diverging"])), "step": step})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--metric", default="auto")
    parser.add_argument("--child", choices=("exmc", "numpyro"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    sys.path.insert(0, str(HERE))
    if args.child == "exmc":
        print(json.dumps(exmc_divergences(seeds, args.metric)))
        return 0
    if args.child == "numpyro":
        print(json.dumps(numpyro_divergences(seeds)))
        return 0
    results = {}
    for who in ("exmc", "numpyro"):
        run = subprocess.run([sys.executable, __file__, "--child", who, "--seeds", args.seeds, "--metric", args.metric],
                             capture_output=True, text=True, check=True)
        results[who] = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"README model, {CHAINS} chains x ({TUNE} + {DRAWS}), divergences per seed")
    print(f"{'seed':>5} {'Exmc (' + args.metric + ')':>14} {'NumPyro':>8} {'Exmc target':>12} {'step':>6} "
          f"{'NumPyro step':>13}  Exmc's metric")
    for e, n in zip(results["exmc"], results["numpyro"]):
        print(f"{e['seed']:>5} {e['divergences']:>14} {n['divergences']:>8} {e['target']:>12.3g} {e['step']:>6.3f} "
              f"{n['step']:>13.3f}  {e['metric']}")
    total_e = sum(r["divergences"] for r in results["exmc"])
    total_n = sum(r["divergences"] for r in results["numpyro"])
    print(f"{'total':>5} {total_e:>14} {total_n:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
