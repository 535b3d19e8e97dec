"""How long a new user waits: a one-parameter model's first ``exmc.sample`` in a fresh process.

Each case runs in its own Python process and reports wall and CPU seconds (CPU: this
process, all threads; it is less disturbed by other work on a shared machine than wall time)
for ``import exmc``, ``compile_model`` and the first and second ``exmc.sample`` (4 chains x
(10 + 10)), JAX's time tracing, lowering and compiling inside the first call, and each XLA
compilation by name (``jax_log_compiles``).

Cases: ``cold`` (an empty persistent compilation cache), ``warm`` (the same cache, now
filled by the cold case), ``off`` (``EXMC_COMPILATION_CACHE=0``).

    python benchmarks/cold_start.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import logging, json, re, sys, time, warnings
clock = lambda: (time.perf_counter(), time.process_time())
t0 = clock()
import exmc
t1 = clock()
import jax
sys.path.insert(0, sys.argv[1])
from timing import CompileClock
compiled_names = []
class Grab(logging.Handler):
    def emit(self, record):
        m = re.search(r"Finished XLA compilation of (.*?) in ([0-9.e-]+) sec", record.getMessage())
        if m:
            compiled_names.append((m.group(1), float(m.group(2))))
logging.getLogger("jax").addHandler(Grab())
jax.config.update("jax_log_compiles", True)
ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
t2 = clock()
model = exmc.compile_model(ir)
t3 = clock()
with warnings.catch_warnings(), CompileClock() as jc:
    warnings.simplefilter("ignore")
    exmc.sample(model, draws=10, tune=10, chains=4, seed=0, progressbar=False)
    t4 = clock()
    exmc.sample(model, draws=10, tune=10, chains=4, seed=0, progressbar=False)
    t5 = clock()
span = lambda a, b: [round(b[0] - a[0], 3), round(b[1] - a[1], 3)]
print(json.dumps({"import": span(t0, t1), "compile_model": span(t2, t3), "first_sample": span(t3, t4),
                  "second_sample": span(t4, t5), "jax_compile_s": round(jc.seconds, 3),
                  "xla_compilations": compiled_names}))
"""


def run_case(env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(HERE)], env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        base = {**os.environ, "EXMC_COMPILATION_CACHE": cache}
        cases = {"cold": base, "warm": base, "off": {**os.environ, "EXMC_COMPILATION_CACHE": "0"}}
        print(f"{'case':5s} {'import exmc':>14s} {'first sample':>14s} {'second':>8s} {'JAX compile':>11s}  "
              "(wall s / CPU s; 4 chains x (10 + 10), one-parameter model)")
        for name, env in cases.items():
            r = run_case(env)
            print(f"{name:5s} {r['import'][0]:6.2f} / {r['import'][1]:5.2f} {r['first_sample'][0]:6.2f} / "
                  f"{r['first_sample'][1]:5.2f} {r['second_sample'][0]:8.3f} {r['jax_compile_s']:11.2f}")
            for fn, seconds in sorted(r["xla_compilations"], key=lambda x: -x[1])[:6]:
                print(f"        XLA compile {seconds:6.3f} s  {fn}")
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
