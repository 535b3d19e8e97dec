"""Memory grows with the draws kept, not with the number of batches (issue 10, decision 36).
The large cases are ``benchmarks/memory.py``; this is the small one, in a child process so
that its peak RSS is its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

import exmc
from exmc.demo import readme_model
from exmc.sampler import driver

MB = 2**20

CHILD = textwrap.dedent("""
    import json, resource, sys
    import exmc
    from exmc.sampler import driver

    ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=50)
    exmc.sample(ir, draws=3, tune=3, chains=4, seed=1, progressbar=False)  # compile, warm up
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    driver.FIRST_CHUNK, driver.BATCH_SECONDS, driver.OVERHEAD_FACTOR = 1, 1e-9, 0  # every batch one iteration: 300 batches
    trace = exmc.sample(ir, draws=150, tune=150, chains=4, seed=0, progressbar=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stored = sum(v.nbytes for g in trace.groups() for v in getattr(trace, g).values())
    print(json.dumps({"growth": peak - baseline, "stored": stored, "draws": trace.n_draws}))
""")


def test_one_iteration_batches_grow_memory_by_the_trace_not_by_the_chunk_buffers():
    """Each batch used to hold views of its chunk's (chains, 1024, dim) buffer: 300 batches of
    a 50-d model kept some 500 MB alive for a 0.5 MB trace."""
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["draws"] == 150
    assert report["growth"] < report["stored"] + 100 * MB, report


def test_a_batch_owns_its_draws_not_a_view_of_the_chunk_buffer(monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # no floor for the fixed cost of a round
    for batch in exmc.sample_stream(readme_model(), draws=5, tune=5, chains=2, seed=0):
        for values in list(batch.draws.values()) + list(batch.stats.values()):
            assert values.base is None or values.base.nbytes == values.nbytes  # nothing larger behind it
            assert values.flags.owndata or values.base.nbytes == values.nbytes
        assert all(v.shape[1] == batch.n for v in batch.draws.values())


def test_sample_collects_into_arrays_allocated_once_per_phase():
    from exmc.collect import Collector

    batches = list(exmc.sample_stream(readme_model(), draws=30, tune=20, chains=2, seed=4))
    collector = Collector()
    for batch in batches:
        collector.add(batch)
    arrays = collector.arrays()
    assert arrays["posterior"]["mu"].shape == (2, 30) and arrays["warmup_posterior"]["mu"].shape == (2, 20)
    # one buffer per phase and name: the trace's arrays are its rows, not a concatenation of copies
    assert arrays["posterior"]["mu"].base.shape == (2, 30)
    np.testing.assert_array_equal(arrays["posterior"]["mu"], np.concatenate(
        [b.draws["mu"] for b in batches if b.phase == "sampling"], axis=1))
