"""Peak memory of ``exmc.sample`` against the trace it keeps (issue 10, decision 36).

Each case runs in a child process of its own, which reports its peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), its RSS after a first, tiny run of the same
model (the baseline: Python, JAX, the compiled sampler), the bytes of the trace it returned
and the seconds it took. The bounds are issue 10's: peak RSS under 2 x (trace + 500 MB),
and for the long run, checks included, under 2 x (trace + 1 GB).

    .venv/bin/python benchmarks/memory.py                 # every case
    .venv/bin/python benchmarks/memory.py one-draw-batches  # one case
"""

from __future__ import annotations

import json
import subprocess
import sys

MB = 2**20

CASES = {
    # the README's model, 1000 chains x (1000 warmup + 1000 draws)
    "readme-1000-chains": dict(model="readme", chains=1000, tune=1000, draws=1000, allowance=500 * MB),
    # the same, 1000 chains x (200 + 200): the case that fits a shared two-core machine's time
    "readme-1000-chains-short": dict(model="readme", chains=1000, tune=200, draws=200, allowance=500 * MB),
    # a 100-d model whose batches hold one iteration each (a slow model's batches)
    "one-draw-batches": dict(model="normal100", chains=4, tune=1000, draws=1000, allowance=500 * MB,
                             one_iteration_batches=True),
    # 200,000 draws x 4 chains of a 100-d model, the post-sampling checks included
    "long-run-with-checks": dict(model="normal100", chains=4, tune=1000, draws=200_000, allowance=1024 * MB),
}

CHILD = r"""
import json, resource, sys, time
import numpy as np
import exmc
from exmc.demo import readme_model
from exmc.sampler import driver

case = json.loads(sys.argv[1])
if case["model"] == "readme":
    ir = readme_model()
else:
    ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=100)

def rss_now():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))

# the baseline: compile and run the same model briefly (every kernel compiled, JAX's pools warm)
exmc.sample(ir, draws=5, tune=5, chains=case["chains"], seed=1, progressbar=False)
baseline = rss_now()
if case.get("one_iteration_batches"):
    driver.FIRST_CHUNK, driver.BATCH_SECONDS, driver.OVERHEAD_FACTOR = 1, 1e-9, 0
started = time.perf_counter()
trace = exmc.sample(ir, draws=case["draws"], tune=case["tune"], chains=case["chains"], seed=0, progressbar=False)
seconds = time.perf_counter() - started
stored = sum(v.nbytes for group in trace.groups() for v in getattr(trace, group).values())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
# the checks alone, timed again after the peak was read (exmc.sample's time includes them)
from exmc.diagnostics.checks import check_trace
started = time.perf_counter()
check_trace(trace)
checks_seconds = time.perf_counter() - started
print(json.dumps({"peak": peak, "baseline": baseline, "stored": stored, "seconds": seconds,
                  "checks_seconds": checks_seconds, "draws": trace.n_draws, "chains": trace.n_chains}))
"""


def measure(case: dict) -> dict:
    """Run one case in a child process; its report plus the bound and whether it holds."""
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-4000:])
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["bound"] = 2 * (report["stored"] + case["allowance"])
    report["holds"] = report["peak"] < report["bound"]
    return report


def main(names: list[str]) -> None:
    for name in names or [n for n in CASES if n != "readme-1000-chains-short"]:
        r = measure(CASES[name])
        print(
            f"{name}: trace {r['stored'] / MB:.1f} MiB ({r['chains']} chains x {r['draws']} draws), "
            f"peak RSS {r['peak'] / MB:.0f} MiB (baseline {r['baseline'] / MB:.0f} MiB after a 5-draw run), "
            f"bound {r['bound'] / MB:.0f} MiB: {'holds' if r['holds'] else 'EXCEEDED'}; exmc.sample "
            f"{r['seconds']:.1f} s, of which the checks about {r['checks_seconds']:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
