"""Exmc against NumPyro and nutpie: the same models, the same NUTS budget, each sampler of
each model in a fresh process.

Per model and sampler it reports compile seconds, sampling seconds, total (first-call) wall
seconds, the process's peak RSS, min bulk-ESS over the free parameters (the user's
parametrization), gradient evaluations (leapfrog steps, warmup included), ESS per 1000
gradients, ESS/s on total wall time and divergences; then Exmc's ESS/s over NumPyro's (its
fastest chain method on that model) and over nutpie's.

Samplers (``--samplers``):

- ``exmc``: the default metric ("auto"); ``exmc_diagonal``: nutpie's diagonal metric, the
  default before decision 49. Called twice in one process: compile = first call - second
  call (the second reuses the compiled sampler), sampling = the second call. The persistent
  compilation cache (decision 51) starts empty for each model; a second process on the same
  cache then measures the first call with the cache warm (``first call, warm disk cache``).
- ``numpyro``: chain methods "parallel" (``numpyro.set_host_device_count`` called first, one
  CPU device per chain), "vectorized" and "sequential", each in its own process; the one
  with the least total wall time is compared. NumPyro compiles on every call: compile = the
  time JAX reports spending on tracing, lowering and compiling (``timing.CompileClock``),
  sampling = first call - compile.
- ``nutpie``: through PyMC (``nutpie.compile_pymc_model``, numba backend), with numba's
  cache in a fresh directory: compile = building and compiling the model, sampling =
  ``nutpie.sample``.

Every process first samples a one-parameter model, untimed: backend start-up and the
eager operations of setting up are paid before the clock starts.

    python benchmarks/run.py [--models readme,logistic] [--samplers exmc,numpyro] [--quick]

The tables go to stdout, progress to stderr, and everything to benchmarks/results/latest.json
(``--results PATH`` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "latest.json"
CORES = os.cpu_count() or 1
SEED, CHAINS = 0, 4
NUMPYRO_METHODS = ("parallel", "vectorized", "sequential")
SAMPLERS = ("exmc", "exmc_diagonal", "numpyro", "nutpie")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def min_bulk_ess(draws: dict) -> float:
    """The smallest bulk-ESS over every scalar component of ``draws`` (chains, draws, ...)."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # ArviZ's notice about its coming refactor
        import arviz

    ess = arviz.ess({k: np.asarray(v) for k, v in draws.items()}, method="bulk")
    return float(min(ess[name].min() for name in ess.data_vars))


def row(compile_s: float, sampling_s: float, total_s: float, ess: float, grads: int, divergences: int) -> dict:
    return {
        "compile_s": compile_s, "sampling_s": sampling_s, "total_s": total_s, "min_ess_bulk": ess,
        "grad_evals": grads, "ess_per_1000_grads": 1000.0 * ess / max(grads, 1), "ess_per_s": ess / total_s,
        "divergences": divergences, "peak_rss_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------- one sampler, in a child


def child_exmc(model, draws: int, tune: int, metric: str | None, warm_cache: bool) -> dict:
    import exmc

    settings = dict(draws=draws, tune=tune, chains=CHAINS, seed=SEED, progressbar=False)
    if metric is not None:
        settings["metric"] = metric
    tiny = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exmc.sample(tiny, **dict(settings, draws=10, tune=10))  # untimed: backend start-up
        start = time.perf_counter()
        compiled = exmc.compile_model(model.ir)
        exmc.sample(compiled, **settings)
        first = time.perf_counter() - start
        if warm_cache:
            return {"total_s": first, "peak_rss_mb": peak_rss_mb()}
        start = time.perf_counter()
        trace = exmc.sample(compiled, **settings)
        second = time.perf_counter() - start
    grads = int(trace.sample_stats["n_steps"].sum() + trace.warmup_sample_stats["n_steps"].sum())
    ess = min_bulk_ess({name: trace.posterior[name] for name in model.params})
    out = row(first - second, second, first, ess, grads, int(trace.sample_stats["diverging"].sum()))
    out["metric"] = trace.attrs.get("metric", "?")
    out["metric_used"] = trace.attrs.get("metric_used", trace.attrs.get("metric", "?"))
    out["noncentered"] = sorted(set(trace.auxiliary.values()))
    return out


def child_numpyro(model, draws: int, tune: int, method: str) -> dict:
    import jax
    import numpy as np
    import numpyro
    import numpyro.distributions as nd
    from numpyro.infer import MCMC, NUTS

    from timing import CompileClock

    def once(numpyro_model, warmup: int, samples: int):
        mcmc = MCMC(NUTS(numpyro_model, target_accept_prob=0.8, max_tree_depth=10), num_warmup=warmup,
                    num_samples=samples, num_chains=CHAINS, chain_method=method, progress_bar=False)
        # warmup() then run(): NumPyro reports the warmup's num_steps only this way
        key = jax.random.PRNGKey(SEED)
        mcmc.warmup(key, collect_warmup=True, extra_fields=("num_steps",))
        warmup_steps = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"])
        mcmc.run(key, extra_fields=("num_steps",))
        return (jax.device_get(mcmc.get_samples(group_by_chain=True)),
                jax.device_get(mcmc.get_extra_fields(group_by_chain=True)), warmup_steps)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        once(lambda: numpyro.sample("z", nd.Normal(0.0, 1.0)), 10, 10)  # untimed: backend start-up
        with CompileClock() as clock:
            start = time.perf_counter()
            samples, extra, warmup_steps = once(model.numpyro_model, tune, draws)
            total = time.perf_counter() - start
    grads = int(np.sum(extra["num_steps"]) + np.sum(warmup_steps))
    ess = min_bulk_ess({name: samples[name] for name in model.params})
    return row(clock.seconds, total - clock.seconds, total, ess, grads, int(np.sum(extra["diverging"])))


def child_nutpie(model, draws: int, tune: int) -> dict:
    import logging

    logging.getLogger("pymc").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import nutpie
        import pymc as pm

        def run(build, warmup: int, samples: int):
            start = time.perf_counter()
            compiled = nutpie.compile_pymc_model(build())
            compiled_at = time.perf_counter()
            trace = nutpie.sample(compiled, draws=samples, tune=warmup, chains=CHAINS, seed=SEED,
                                  progress_bar=False)
            return trace, compiled_at - start, time.perf_counter() - compiled_at

        def tiny():
            with pm.Model() as m:
                pm.Normal("z", 0.0, 1.0)
            return m

        run(tiny, 10, 10)  # untimed: numba's and PyTensor's start-up
        trace, compile_s, sampling_s = run(model.pymc_model, tune, draws)
    stats, warm = trace.sample_stats, trace.warmup_sample_stats
    grads = int(stats["n_steps"].sum() + warm["n_steps"].sum())
    ess = min_bulk_ess({name: trace.posterior[name].values for name in model.params})
    return row(compile_s, sampling_s, compile_s + sampling_s, ess, grads, int(stats["diverging"].sum()))


def child(model_name: str, sampler: str, draws: int, tune: int, out: str) -> int:
    if sampler == "numpyro_parallel":
        import numpyro

        numpyro.set_host_device_count(CHAINS)  # before JAX makes its CPU backend
    if sampler.startswith("numpyro"):
        import numpyro

        numpyro.enable_x64()
    sys.path.insert(0, str(HERE))
    from models import MODELS

    model = MODELS[model_name]()
    if sampler in ("exmc", "exmc_warm_cache"):
        result = child_exmc(model, draws, tune, None, sampler == "exmc_warm_cache")
    elif sampler == "exmc_diagonal":
        result = child_exmc(model, draws, tune, "nutpie", False)
    elif sampler.startswith("numpyro_"):
        result = child_numpyro(model, draws, tune, sampler.split("_", 1)[1])
    elif sampler == "nutpie":
        result = child_nutpie(model, draws, tune)
    else:
        raise SystemExit(f"unknown sampler {sampler}")
    Path(out).write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------- the parent


def spawn(model: str, sampler: str, draws: int, tune: int, env: dict) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    command = [sys.executable, str(HERE / "run.py"), "--child", model, sampler, "--draws", str(draws),
               "--tune", str(tune), "--out", out]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    try:
        if done.returncode != 0:
            progress(f"[{model}] {sampler} failed:\n{done.stderr[-3000:]}")
            return None
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def benchmark(name: str, samplers: list[str], draws: int, tune: int) -> dict:
    result: dict = {}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as numba_cache:
        base = {**os.environ, "NUMBA_CACHE_DIR": numba_cache}
        exmc_env = {**base, "EXMC_COMPILATION_CACHE": cache}  # empty: a cold first compile
        others = {**base, "EXMC_COMPILATION_CACHE": "off"}    # the models import exmc
        for sampler in samplers:
            if sampler == "numpyro":
                for method in NUMPYRO_METHODS:
                    progress(f"[{name}] numpyro {method} ...")
                    result[f"numpyro_{method}"] = spawn(name, f"numpyro_{method}", draws, tune, others)
            elif sampler == "exmc":
                progress(f"[{name}] exmc ...")
                result["exmc"] = spawn(name, "exmc", draws, tune, exmc_env)
                warm = spawn(name, "exmc_warm_cache", draws, tune, exmc_env)
                if result["exmc"] and warm:
                    result["exmc"]["total_s_warm_cache"] = warm["total_s"]
            else:
                progress(f"[{name}] {sampler} ...")
                env = others if sampler == "nutpie" else {**exmc_env, "EXMC_COMPILATION_CACHE": cache + "-diag"}
                result[sampler] = spawn(name, sampler, draws, tune, env)
    methods = [m for m in NUMPYRO_METHODS if result.get(f"numpyro_{m}")]
    exmc_row = result.get("exmc")
    if methods:
        best = min(methods, key=lambda m: result[f"numpyro_{m}"]["total_s"])
        result["numpyro_best"] = best
        if exmc_row:
            result["ratio_numpyro"] = exmc_row["ess_per_s"] / result[f"numpyro_{best}"]["ess_per_s"]
    if exmc_row and result.get("nutpie"):
        result["ratio_nutpie"] = exmc_row["ess_per_s"] / result["nutpie"]["ess_per_s"]
    if exmc_row and result.get("exmc_diagonal"):
        result["ess_per_grad_vs_diagonal"] = (exmc_row["ess_per_1000_grads"]
                                             / result["exmc_diagonal"]["ess_per_1000_grads"])
    return result


HEADER = (f"{'sampler':22s} {'compile s':>9s} {'sampling s':>10s} {'total s':>8s} {'peak RSS MB':>11s} "
          f"{'min ESS':>8s} {'grads':>8s} {'ESS/1000 grads':>14s} {'ESS/s':>8s} {'diverg.':>7s}")


def format_row(label: str, r: dict) -> str:
    return (f"{label:22s} {r['compile_s']:9.2f} {r['sampling_s']:10.2f} {r['total_s']:8.2f} {r['peak_rss_mb']:11.0f} "
            f"{r['min_ess_bulk']:8.0f} {r['grad_evals']:8d} {r['ess_per_1000_grads']:14.1f} {r['ess_per_s']:8.1f} "
            f"{r['divergences']:7d}")


def format_model(name: str, title: str, result: dict) -> str:
    lines = [f"== {name}: {title}", HEADER]
    e = result.get("exmc")
    if e:
        lines.append(format_row("exmc", e))
    if result.get("exmc_diagonal"):
        lines.append(format_row("exmc, diagonal metric", result["exmc_diagonal"]))
    for method in NUMPYRO_METHODS:
        r = result.get(f"numpyro_{method}")
        if r:
            lines.append(format_row(f"numpyro {method}" + (" *" if method == result.get("numpyro_best") else ""), r))
    if result.get("nutpie"):
        lines.append(format_row("nutpie (PyMC)", result["nutpie"]))
    notes = []
    if e:
        notes.append(f"Exmc metric {e['metric']} -> {e['metric_used']}")
        if "total_s_warm_cache" in e:
            notes.append(f"Exmc first call, warm disk cache {e['total_s_warm_cache']:.2f} s")
        if e["noncentered"]:
            notes.append(f"non-centered {', '.join(e['noncentered'])}")
    for key, label in (("ratio_numpyro", "ESS/s Exmc / NumPyro"), ("ratio_nutpie", "ESS/s Exmc / nutpie"),
                       ("ess_per_grad_vs_diagonal", "ESS per gradient, Exmc / its diagonal metric")):
        if key in result:
            notes.append(f"{label} {result[key]:.2f}")
    lines.append("; ".join(notes))
    return "\n".join(lines)


def format_summary(results: dict) -> str:
    lines = [f"{'model':18s} {'Exmc compile s':>14s} {'sampling s':>10s} {'ESS/1000 grads':>14s} {'vs diagonal':>11s} "
             f"{'/ NumPyro':>9s} {'/ nutpie':>8s}"]
    for name, r in results.items():
        e = r.get("exmc")
        if not e:
            continue
        cell = lambda key: f"{r[key]:.2f}" if key in r else "-"  # noqa: E731
        lines.append(f"{name:18s} {e['compile_s']:14.2f} {e['sampling_s']:10.2f} {e['ess_per_1000_grads']:14.1f} "
                     f"{cell('ess_per_grad_vs_diagonal'):>11s} {cell('ratio_numpyro'):>9s} {cell('ratio_nutpie'):>8s}")
    return "\n".join(lines)


def versions() -> dict:
    out = {"python": platform.python_version(), "machine": platform.machine(), "cores": CORES}
    for package in ("exmc", "jax", "numpyro", "pymc", "nutpie", "arviz"):
        try:
            from importlib.metadata import version

            out[package] = version(package)
        except Exception:  # noqa: BLE001 - a missing optional package is reported as such
            out[package] = None
    try:
        out["git"] = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                                    text=True, timeout=30).stdout.strip() or "unknown"
    except OSError:
        out["git"] = "unknown"
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma-separated model names (default: all)")
    parser.add_argument("--samplers", default=",".join(SAMPLERS), help=f"comma-separated, from {', '.join(SAMPLERS)}")
    parser.add_argument("--quick", action="store_true", help="200 warmup + 200 draws: a smoke run")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "SAMPLER"), help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tune", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--results", default=str(RESULTS), help="where the JSON goes (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child, args.draws, args.tune, args.out)

    from models import MODELS

    names = [n.strip() for n in (args.models or ",".join(MODELS)).split(",") if n.strip()]
    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    unknown = [n for n in names if n not in MODELS] + [s for s in samplers if s not in SAMPLERS]
    if unknown:
        parser.error(f"unknown model(s) or sampler(s): {', '.join(unknown)}")
    draws = tune = 200 if args.quick else 1000
    environment = versions()
    print(f"Exmc (git {environment['git']}) vs NumPyro {environment['numpyro']} and nutpie {environment['nutpie']} "
          f"(PyMC {environment['pymc']}); JAX {environment['jax']}, {environment['machine']}, {CORES} cores; NUTS, "
          f"{CHAINS} chains x ({tune} warmup + {draws} draws), target accept 0.8, max tree depth 10; float64")
    print("each sampler of each model in a fresh process; total = first call, model to draws; "
          "ESS/s = min bulk-ESS / total; peak RSS = the process's; * = NumPyro's fastest chain method, compared\n",
          flush=True)
    results = {}
    for name in names:
        model = MODELS[name]()
        results[name] = benchmark(name, samplers, draws, tune)
        results[name]["title"] = model.title
        print(format_model(name, model.title, results[name]) + "\n", flush=True)
    print(format_summary(results))
    environment["load_average_at_end"] = load = os.getloadavg()
    print(f"\nload average at the end (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {CORES} cores (other work on the machine slows every timing above)")
    results_path = Path(args.results)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps({
        "settings": {"draws": draws, "tune": tune, "chains": CHAINS, "seed": SEED, "quick": args.quick},
        "environment": environment, "models": results,
    }, indent=2) + "\n")
    progress(f"wrote {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
