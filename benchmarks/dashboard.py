"""Does the live dashboard keep up, and what does it cost the sampler?

4 chains x 20 scalar variables (19 group means and a shared scale, 400 Student-t
observations a group), 1000 warmup + 2000 draws, sampled (a) by ``exmc.sample``
alone and (b) by ``exmc_widgets.stream`` with the dashboard attached, alternately, each
``--repeats`` times after one call that compiles. The dashboard's messages go through the
real encoder and are serialised as the kernel would (``json.dumps`` of the content, a copy
of every buffer), then dropped: no browser, so this measures the Python side, which is what
competes with the sampler for the CPU.

Reports: iterations per second of both (all chains, warmup included; the same work), their
ratio (target >= 0.8), flushes per second and the smallest gap between flushes (target:
<= 10 a second), the lag from a batch's arrival to its flush in the first and second half
of the run and the batches taken per flush (no growing backlog: the lag stays flat), the
bytes sent, and the time spent computing the panels.

    python benchmarks/dashboard.py [--repeats 3] [--draws 2000]

Not a timed test: the figures depend on the machine and its load (recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

import exmc
import exmc_widgets
from exmc import Builder

VARIABLES = 20


def model(seed: int = 0, observations: int = 400) -> exmc.IR:
    """19 group means and one shared scale, 20 scalar variables to show, each group with
    ``observations`` Student-t observations, so that a gradient costs what a real model's does
    (the run takes seconds, many batches, not a fraction of a second)."""
    rng = np.random.default_rng(seed)
    ir = Builder.new_ir().rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
    for i in range(VARIABLES - 1):
        ir = ir.rv(f"m{i:02d}", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        ir = ir.rv(f"y{i:02d}", exmc.StudentT, {"nu": 4.0, "mu": f"m{i:02d}", "sigma": "sigma"})
        ir = ir.obs(f"y{i:02d}_obs", f"y{i:02d}", i / 4 + rng.standard_t(4.0, size=observations))
    return ir


def serialise(content, buffers) -> None:
    json.dumps(content, allow_nan=False)
    for buffer in buffers:
        bytes(buffer)


def alone(ir, draws, tune, chains) -> float:
    started = time.perf_counter()
    trace = exmc.sample(ir, draws=draws, tune=tune, chains=chains, seed=1, progressbar=False)
    elapsed = time.perf_counter() - started
    assert trace.n_draws == draws
    return elapsed


def with_dashboard(ir, draws, tune, chains) -> tuple[float, dict]:
    started = time.perf_counter()
    dash = exmc_widgets.stream(ir, draws=draws, tune=tune, chains=chains, seed=1, display=False)
    dash._coordinator._send = serialise
    assert dash.wait(600)
    elapsed = time.perf_counter() - started
    assert dash.state == "complete" and dash.trace.n_draws == draws, dash.message
    coordinator = dash._coordinator
    assert coordinator.failure is None
    log = coordinator.log
    times = np.array([e["time"] for e in log])
    half = len(log) // 2
    lag = lambda entries: max((e["lag"] for e in entries if e["batches"]), default=0.0)  # noqa: E731
    slow = [e["seconds"] for e in log if e["slow"]]
    fast = [e["seconds"] for e in log if not e["slow"]]
    stats = {
        "flushes": len(log),
        "flushes_per_s": (len(log) - 1) / (times[-1] - times[0]),
        "min_gap_s": float(np.diff(times).min()),
        "batches": len(coordinator.received),
        "max_batches_per_flush": max(e["batches"] for e in log),
        "max_lag_first_half_s": lag(log[:half]),
        "max_lag_second_half_s": lag(log[half:]),
        "bytes": sum(e["bytes"] for e in log),
        "bytes_per_flush_max": max(e["bytes"] for e in log),
        "fast_flush_s_median": statistics.median(fast) if fast else 0.0,
        "slow_flush_s_median": statistics.median(slow),
        "slow_flush_s_max": max(slow),
        "slow_flushes": len(slow),
        "flusher_busy_share": sum(e["seconds"] for e in log) / elapsed,
    }
    dash.close()
    return elapsed, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--observations", type=int, default=400, help="observations per group")
    args = parser.parse_args()
    ir = model(observations=args.observations)
    iterations = args.chains * (args.draws + args.tune)
    alone(ir, 20, 20, args.chains)  # compile once; both measurements reuse it
    plain, dashed, runs = [], [], []
    for _ in range(args.repeats):
        plain.append(alone(ir, args.draws, args.tune, args.chains))
        elapsed, stats = with_dashboard(ir, args.draws, args.tune, args.chains)
        dashed.append(elapsed)
        runs.append(stats)
    rate_alone = iterations / statistics.median(plain)
    rate_dash = iterations / statistics.median(dashed)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{args.chains} chains x {VARIABLES} scalar variables, {args.tune} warmup + {args.draws} draws, "
          f"median of {args.repeats}")
    print(f"exmc.sample alone:        {statistics.median(plain):6.2f} s  {rate_alone:9,.0f} iterations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in plain)})")
    print(f"with the live dashboard:  {statistics.median(dashed):6.2f} s  {rate_dash:9,.0f} iterations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in dashed)})")
    print(f"ratio: {rate_dash / rate_alone:.2f} (target >= 0.80)")
    for k, stats in enumerate(runs):
        print(f"run {k}: {stats['flushes']} flushes, {stats['flushes_per_s']:.1f}/s, smallest gap "
              f"{stats['min_gap_s'] * 1000:.0f} ms; {stats['batches']} batches, at most "
              f"{stats['max_batches_per_flush']} a flush; max lag {stats['max_lag_first_half_s'] * 1000:.0f} ms "
              f"(first half) / {stats['max_lag_second_half_s'] * 1000:.0f} ms (second half); "
              f"{stats['bytes'] / 1e6:.2f} MB sent, at most {stats['bytes_per_flush_max'] / 1e3:.0f} kB a flush; "
              f"panels: fast flush {stats['fast_flush_s_median'] * 1000:.1f} ms, slow {stats['slow_flush_s_median'] * 1000:.0f} ms "
              f"median / {stats['slow_flush_s_max'] * 1000:.0f} ms max ({stats['slow_flushes']} slow); "
              f"flusher busy {stats['flusher_busy_share']:.0%} of the run")


if __name__ == "__main__":
    main()
