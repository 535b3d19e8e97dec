"""Exmc against NumPyro: the same models, the same NUTS budget, in one process.

Per model and sampler it reports compile seconds, sampling seconds, min bulk-ESS over the
free parameters (the user's parametrization), ESS/s on total wall time, gradient
evaluations (leapfrog steps, warmup included) and the overhead ratio

    sampling seconds / (gradient evaluations x one compiled value-and-grad / cores),

i.e. how far the sampler is from spending all the time on every core in the gradient.

Timing. Each sampler is called twice with the same settings. total = the first call's wall
time, from the model to the draws (building the sampler and compiling included).
Exmc: the second call reuses the compilation, so sampling = the second call and
compile = first - second. NumPyro compiles its sampling loop again on every call, even on
the same MCMC object (its ``fori_collect`` hands ``jit`` a freshly made ``jax.jit`` wrapper
as a static argument, so JAX's cache never hits), so it has no warm call:
compile = the wall time JAX itself reports spending on tracing, lowering and compiling
during the first call (``timing.CompileClock``), and sampling = first - compile.
Both measures are kept for both samplers in the JSON.

NumPyro runs with chain_method "vectorized" and "sequential" ("parallel" needs one device
per chain); the faster on total wall time is compared with Exmc. ``numpyro.enable_x64()``
sets JAX's *global* float64 flag for the whole process, so both samplers compute in float64
(Exmc also enters its own thread-local float64 context).

    python benchmarks/run.py [--models readme,logistic] [--quick]

The tables go to stdout, progress to stderr, and everything to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpyro

numpyro.enable_x64()  # before any JAX array exists; see the module docstring

import jax  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as nd  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402
from numpyro.infer.util import initialize_model  # noqa: E402

import exmc  # noqa: E402
from timing import CompileClock, seconds_per_gradient  # noqa: E402
from models import MODELS, Model  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # ArviZ's notice about its coming refactor
    import arviz  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
CORES = os.cpu_count() or 1
SEED = 0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def git_state() -> tuple[str, list[str]]:
    """The checkout's ``git describe --always --dirty`` and its uncommitted changes under exmc/."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except OSError:
            return ""

    return git("describe", "--always", "--dirty") or "unknown", git("status", "--porcelain", "--", "exmc").splitlines()


def min_bulk_ess(draws: dict[str, np.ndarray]) -> float:
    """The smallest bulk-ESS over every scalar component of ``draws`` (chains, draws, ...)."""
    ess = arviz.ess({k: np.asarray(v) for k, v in draws.items()}, method="bulk")
    return float(min(ess[name].min() for name in ess.data_vars))


def summarize(model: Model, calls: list[tuple[float, float]], compile_s: float, draws: dict, grads: int,
              divergences: int, per_grad: float) -> dict:
    """The table's row for one sampler.

    ``calls`` holds (wall seconds, JAX compile seconds) of the first and second call;
    ``draws``, ``grads`` and ``divergences`` come from the call the sampling time is from.
    """
    (first, first_compile), (second, second_compile) = calls
    ess = min_bulk_ess({name: draws[name] for name in model.params})
    sampling = first - compile_s
    return {
        "compile_s": compile_s,
        "sampling_s": sampling,
        "total_s": first,
        "min_ess_bulk": ess,
        "ess_per_s": ess / first,
        "ess_per_s_sampling": ess / sampling,
        "grad_evals": grads,
        "divergences": divergences,
        "grad_s": per_grad,
        "overhead": sampling / (grads * per_grad / CORES),
        "first_call_s": first,
        "first_call_jax_compile_s": first_compile,
        "second_call_s": second,
        "second_call_jax_compile_s": second_compile,
    }


def timed(call) -> tuple[object, tuple[float, float]]:
    """``call()``'s result, with its (wall seconds, JAX compile seconds)."""
    with CompileClock() as clock:
        start = time.perf_counter()
        result = call()
        wall = time.perf_counter() - start
    return result, (wall, clock.seconds)


def run_exmc(model: Model, draws: int, tune: int, chains: int) -> dict:
    """Sample ``model`` with Exmc twice (cold, then warm on the same CompiledModel)."""
    settings = dict(draws=draws, tune=tune, chains=chains, seed=SEED, progressbar=False)

    def cold() -> exmc.CompiledModel:
        compiled = exmc.compile_model(model.ir)
        exmc.sample(compiled, **settings)
        return compiled

    compiled, first = timed(cold)
    trace, second = timed(lambda: exmc.sample(compiled, **settings))
    user = [name for name in trace.posterior if name not in trace.auxiliary and name in model.params]
    assert sorted(user) == sorted(model.params), (user, model.params)
    grads = int(trace.sample_stats["n_steps"].sum() + trace.warmup_sample_stats["n_steps"].sum())
    per_grad = seconds_per_gradient(compiled.logp_fn, compiled.initial_point(SEED))
    row = summarize(model, [first, second], first[0] - second[0], trace.posterior, grads,
                    int(trace.sample_stats["diverging"].sum()), per_grad)
    row["noncentered"] = sorted(set(trace.auxiliary.values()))
    row["metric"] = trace.attrs.get("metric", "stan")
    return row


def numpyro_seconds_per_gradient(model: Model) -> float:
    """One compiled value-and-grad of NumPyro's potential, timed like Exmc's."""
    info = initialize_model(jax.random.PRNGKey(SEED), model.numpyro_model)
    flat, unravel = ravel_pytree(info.param_info.z)
    return seconds_per_gradient(lambda q: -info.potential_fn(unravel(q)), flat)


def _numpyro_once(mcmc: MCMC) -> tuple[dict, dict, np.ndarray]:
    # warmup() then run(): NumPyro reports the warmup's num_steps only this way.
    key = jax.random.PRNGKey(SEED)
    mcmc.warmup(key, collect_warmup=True, extra_fields=("num_steps",))
    warmup_steps = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"])
    mcmc.run(key, extra_fields=("num_steps",))
    samples = jax.device_get(mcmc.get_samples(group_by_chain=True))
    extra = jax.device_get(mcmc.get_extra_fields(group_by_chain=True))
    return samples, extra, warmup_steps


def run_numpyro(model: Model, draws: int, tune: int, chains: int, method: str, per_grad: float) -> dict:
    """Sample ``model`` with NumPyro's NUTS twice on the same MCMC object (the second call
    only to record that it compiles again)."""

    def cold() -> tuple[MCMC, tuple]:
        mcmc = MCMC(NUTS(model.numpyro_model, target_accept_prob=0.8, max_tree_depth=10), num_warmup=tune,
                    num_samples=draws, num_chains=chains, chain_method=method, progress_bar=False)
        return mcmc, _numpyro_once(mcmc)

    (mcmc, (samples, extra, warmup_steps)), first = timed(cold)
    _, second = timed(lambda: _numpyro_once(mcmc))
    grads = int(np.sum(extra["num_steps"]) + np.sum(warmup_steps))
    return summarize(model, [first, second], first[1], samples, grads, int(np.sum(extra["diverging"])), per_grad)


def warm_up() -> None:
    """Run both samplers once on a one-parameter model, untimed.

    A fresh process pays one-time costs on its first JAX work (backend start-up, the
    eager operations both libraries run while setting up); without this the first model
    benchmarked would carry them all.
    """
    model = Model("warm_up", "warm-up", exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}),
                  lambda: numpyro.sample("z", nd.Normal(0.0, 1.0)))
    exmc.sample(model.ir, draws=10, tune=10, chains=4, seed=SEED, progressbar=False)
    for method in ("vectorized", "sequential"):
        mcmc = MCMC(NUTS(model.numpyro_model), num_warmup=10, num_samples=10, num_chains=4, chain_method=method,
                    progress_bar=False)
        _numpyro_once(mcmc)


def benchmark(model: Model, draws: int, tune: int, chains: int) -> dict:
    """Both samplers on one model; NumPyro with both chain methods."""
    progress(f"[{model.name}] exmc ...")
    result = {"title": model.title, "exmc": run_exmc(model, draws, tune, chains), "numpyro": {}}
    per_grad = numpyro_seconds_per_gradient(model)
    for method in ("vectorized", "sequential"):
        progress(f"[{model.name}] numpyro {method} ...")
        result["numpyro"][method] = run_numpyro(model, draws, tune, chains, method, per_grad)
    best = min(result["numpyro"], key=lambda m: result["numpyro"][m]["total_s"])
    result["numpyro_best"] = best
    result["ess_per_s_ratio"] = result["exmc"]["ess_per_s"] / result["numpyro"][best]["ess_per_s"]
    result["ess_per_s_sampling_ratio"] = (
        result["exmc"]["ess_per_s_sampling"] / result["numpyro"][best]["ess_per_s_sampling"]
    )
    return result


HEADER = (f"{'sampler':22s} {'compile s':>9s} {'sampling s':>10s} {'total s':>8s} {'min ESS':>8s} "
          f"{'ESS/s':>8s} {'grad evals':>10s} {'diverg.':>7s} {'overhead':>8s}")


def format_row(label: str, r: dict) -> str:
    return (f"{label:22s} {r['compile_s']:9.2f} {r['sampling_s']:10.2f} {r['total_s']:8.2f} "
            f"{r['min_ess_bulk']:8.0f} {r['ess_per_s']:8.1f} {r['grad_evals']:10d} {r['divergences']:7d} "
            f"{r['overhead']:8.2f}")


def format_model(name: str, result: dict) -> str:
    """The table for one model."""
    e, best = result["exmc"], result["numpyro_best"]
    lines = [
        f"== {name}: {result['title']}",
        f"one compiled value-and-grad: Exmc {e['grad_s'] * 1e6:.2f} us, "
        f"NumPyro {result['numpyro'][best]['grad_s'] * 1e6:.2f} us; cores = {CORES}"
        + f"; Exmc metric {e['metric']}"
        + (f"; Exmc non-centered {', '.join(e['noncentered'])}" if e["noncentered"] else ""),
        HEADER,
        format_row("exmc", e),
    ]
    for method, row in result["numpyro"].items():
        lines.append(format_row(f"numpyro {method}" + (" *" if method == best else ""), row))
    lines.append(f"ESS/s Exmc / NumPyro ({best}): {result['ess_per_s_ratio']:.2f} on total wall time, "
                 f"{result['ess_per_s_sampling_ratio']:.2f} on sampling time")
    return "\n".join(lines)


def format_summary(results: dict) -> str:
    """One line a model: ESS/s of both samplers and their ratio."""
    lines = [f"{'model':18s} {'Exmc ESS/s':>10s} {'NumPyro ESS/s':>13s} {'(method)':>12s} {'ratio':>6s}"]
    for name, r in results.items():
        best = r["numpyro_best"]
        lines.append(f"{name:18s} {r['exmc']['ess_per_s']:10.1f} {r['numpyro'][best]['ess_per_s']:13.1f} "
                     f"{best:>12s} {r['ess_per_s_ratio']:6.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, from: {', '.join(MODELS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="200 warmup + 200 draws: a smoke run")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    draws = tune = 200 if args.quick else 1000
    chains = 4
    commit, exmc_changes = git_state()
    environment = {"exmc": exmc.__version__, "git": commit, "exmc_uncommitted": exmc_changes,
                   "numpyro": numpyro.__version__, "jax": jax.__version__, "arviz": arviz.__version__,
                   "python": platform.python_version(), "machine": platform.machine(), "cores": CORES,
                   "global_x64": True}

    print(f"Exmc {exmc.__version__} (git {commit}{', exmc/ modified' if exmc_changes else ''}) vs "
          f"NumPyro {numpyro.__version__} (JAX {jax.__version__}, {platform.machine()}, {CORES} cores); "
          f"NUTS, {chains} chains x ({tune} warmup + {draws} draws), target accept 0.8, max tree depth 10, "
          "diagonal metric; float64 (global x64 set by NumPyro)")
    print("total = first call, model to draws; ESS/s = min bulk-ESS / total wall time; "
          "overhead = sampling s / (grad evals x one value-and-grad / cores); * = NumPyro chain method compared")
    print("Exmc: compile = first call - second call, sampling = second call (it reuses the compilation); "
          "NumPyro compiles on every call: compile = JAX's own compile time in the first call, "
          "sampling = first call - compile\n", flush=True)
    progress("warming up ...")
    warm_up()
    results = {}
    for name in names:
        results[name] = benchmark(MODELS[name](), draws, tune, chains)
        print(format_model(name, results[name]) + "\n", flush=True)
        # Each model starts from the same process state: without this, the executables and
        # Python objects earlier models left behind (4 GB by the sixth) slowed every later
        # compilation, Exmc's and NumPyro's, by up to 3x (a run of one model shows it).
        jax.clear_caches()
        gc.collect()
    print(format_summary(results))
    environment["load_average_at_end"] = load = os.getloadavg()
    print(f"\nload average at the end (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {CORES} cores (other work on the machine would slow every timing above)")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "settings": {"draws": draws, "tune": tune, "chains": chains, "seed": SEED, "quick": args.quick},
        "environment": environment,
        "models": results,
    }, indent=2) + "\n")
    progress(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
