"""Does the live dashboard keep up, and what does it cost the sampler?

Two models (``--model``): ``groups``, 4 chains x 20 scalar variables (19 group means and a
shared scale, 400 Student-t observations a group), and ``radon``, an 85-group
varying-intercept model on synthetic radon-like data (85 counties, 919 houses, a floor
indicator) with its 919-element linear predictor ``mu_y`` as a det node, which the
dashboard does not show by default. 1000 warmup + 2000 draws, sampled (a) by ``exmc.sample``
alone and (b) by ``exmc_widgets.stream`` with the dashboard attached, alternately, each
``--repeats`` times after one call that compiles. The dashboard's messages go through the
real encoder and are serialised as the kernel would (``json.dumps`` of the content, a copy
of every buffer), then dropped: no browser, so this measures the Python side, which is what
competes with the sampler for the CPU.

Reports: wall time and iterations per second of both (all chains, warmup included; the
same work), their ratio (targets: rate ratio >= 0.8, the stream's wall within 1.2x), the
longest single update (target < 0.25 s), the header's lag read every 50 ms by another thread
(the sampler's count minus the count the header shows, and how long ago the oldest batch
not shown yet arrived: target, never more than the longest gap between two flushes, i.e.
the page is at most one flush behind), flushes per second and the smallest gap between flushes (target:
<= 10 a second), the lag from a batch's arrival to its flush in the first and second half
of the run and the batches taken per flush (no growing backlog: the lag stays flat), the
bytes sent, and the time spent computing the panels.

    python benchmarks/dashboard.py [--model radon] [--repeats 3] [--draws 2000]

Not a timed test: the figures depend on the machine and its load (recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import threading
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


COUNTIES, HOUSES = 85, 919


def radon(seed: int = 0) -> exmc.IR:
    """A varying-intercept model shaped like Gelman and Hill's radon data (synthetic: 85
    counties, 919 houses, every county at least once, a basement/floor indicator):
    log radon ~ Normal(a[county] + b floor, sigma_y), a ~ Normal(mu_a, sigma_a). The linear
    predictor ``mu_y`` is a det node with one value per house (919 elements)."""
    rng = np.random.default_rng(seed)
    county = np.concatenate([np.arange(COUNTIES), rng.integers(0, COUNTIES, HOUSES - COUNTIES)])
    floor = rng.integers(0, 2, HOUSES).astype(np.float64)
    a_true = 1.5 + 0.3 * rng.standard_normal(COUNTIES)
    y = a_true[county] - 0.7 * floor + 0.75 * rng.standard_normal(HOUSES)
    return (
        Builder.new_ir()
        .rv("mu_a", exmc.Normal, {"mu": 0.0, "sigma": 10.0})
        .rv("sigma_a", exmc.HalfNormal, {"sigma": 5.0})
        .rv("a", exmc.Normal, {"mu": "mu_a", "sigma": "sigma_a"}, shape=(COUNTIES,))
        .rv("b", exmc.Normal, {"mu": 0.0, "sigma": 10.0})
        .det("mu_y", lambda a, b: a[county] + b * floor, ["a", "b"])
        .rv("sigma_y", exmc.HalfNormal, {"sigma": 5.0})
        .rv("log_radon", exmc.Normal, {"mu": "mu_y", "sigma": "sigma_y"})
        .obs("log_radon_obs", "log_radon", y)
    )


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


def shown_count(dash) -> int:
    """The iterations per chain the header shows (warmup, then warmup + sampling draws)."""
    match = re.match(r"(warmup|sampling) (\d+) / \d+", dash.phase)
    if match is None:
        return 0
    return int(match.group(2)) + (dash._tune if match.group(1) == "sampling" else 0)


def read_lag(dash, reads: list, done: threading.Event) -> None:
    """Every 50 ms: the sampler's count, the header's and the age of the oldest batch the
    header does not show yet (0 when it shows every batch)."""
    coordinator = dash._coordinator
    while not done.wait(0.05):
        now = time.perf_counter()
        pending = list(coordinator.pending)
        received = list(coordinator.received)
        sampler = sum(b.draws[next(iter(b.draws))].shape[1] for b in received)
        age = now - pending[0][0] if pending else 0.0
        reads.append({"sampler": sampler, "header": shown_count(dash), "age": age})


def with_dashboard(ir, draws, tune, chains) -> tuple[float, dict]:
    started = time.perf_counter()
    dash = exmc_widgets.stream(ir, draws=draws, tune=tune, chains=chains, seed=1, display=False)
    dash._coordinator._send = serialise
    ended: list = []
    dash.observe(lambda change: ended.append(time.perf_counter()) if change["new"] == "complete" else None, names="state")
    reads: list = []
    done = threading.Event()
    reader = threading.Thread(target=read_lag, args=(dash, reads, done), daemon=True)
    reader.start()
    assert dash.wait(600)
    elapsed = time.perf_counter() - started
    done.set()
    reader.join()
    assert dash.state == "complete" and dash.trace.n_draws == draws, dash.message
    coordinator = dash._coordinator
    assert coordinator.failure is None
    log = coordinator.log
    times = np.array([e["time"] for e in log])
    half = len(log) // 2
    lag = lambda entries: max((e["lag"] for e in entries if e["batches"]), default=0.0)  # noqa: E731
    slow = [e["seconds"] for e in log if e["slow"]]
    fast = [e["seconds"] for e in log if not e["slow"]]
    running = [r for r in reads if r["sampler"] > 0]
    longest = max(range(len(log)), key=lambda i: log[i]["seconds"])
    stats = {
        "complete_s": ended[0] - started,
        "longest_update_s": log[longest]["seconds"],
        "longest_update": f"flush {longest + 1} of {len(log)}, parts {'+'.join(log[longest]['parts']) or 'none'}"
                          f"{', after sampling' if log[longest]['final'] else ''}, {log[longest]['batches']} batches",
        "max_gap_s": float(np.diff(times).max()),
        "reads": len(running),
        "max_lag_draws": max((r["sampler"] - r["header"] for r in running), default=0),
        "max_lag_age_s": max((r["age"] for r in running), default=0.0),
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
    parser.add_argument("--observations", type=int, default=400, help="observations per group (groups model)")
    parser.add_argument("--model", choices=("groups", "radon"), default="groups")
    args = parser.parse_args()
    ir = model(observations=args.observations) if args.model == "groups" else radon()
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
    what = (f"{VARIABLES} scalar variables" if args.model == "groups"
            else f"the {COUNTIES}-group model ({COUNTIES + 4} elements shown, a {HOUSES}-element det node not)")
    print(f"{args.chains} chains x {what}, {args.tune} warmup + {args.draws} draws, median of {args.repeats}")
    print(f"exmc.sample alone:        {statistics.median(plain):6.2f} s  {rate_alone:9,.0f} iterations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in plain)})")
    print(f"with the live dashboard:  {statistics.median(dashed):6.2f} s  {rate_dash:9,.0f} iterations/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in dashed)})")
    print(f"ratio: {rate_dash / rate_alone:.2f} (target >= 0.80); wall {statistics.median(dashed) / statistics.median(plain):.2f}x "
          f"exmc.sample's (target <= 1.2)")
    for k, stats in enumerate(runs):
        print(f"run {k}: \"(complete)\" shown after {stats['complete_s']:.2f} s, every summary row final after "
              f"{dashed[k]:.2f} s")
        print(f"run {k}: longest update {stats['longest_update_s'] * 1000:.0f} ms (target < 250; "
              f"{stats['longest_update']}); header lag at "
              f"{stats['reads']} reads: at most {stats['max_lag_draws']} draws per chain, oldest batch not shown "
              f"{stats['max_lag_age_s'] * 1000:.0f} ms old, longest gap between flushes {stats['max_gap_s'] * 1000:.0f} ms "
              f"(target: the first at most the second)")
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
