"""The post-sampling checks and ``diagnostics_table`` in bounded memory: blocks of quantities
give exactly the one-pass numbers; long runs are judged on thinned draws (decision 37)."""

import importlib
import json
import subprocess
import sys
import textwrap

import numpy as np

import exmc
from exmc.diagnostics.checks import check_trace

checks = importlib.import_module("exmc.diagnostics.checks")
summary = importlib.import_module("exmc.diagnostics.summary")  # exmc.diagnostics.summary is also the function

RNG = np.random.default_rng(7)


def test_blocks_of_quantities_give_exactly_the_one_pass_table(monkeypatch):
    x = RNG.normal(size=(9, 3, 40)).cumsum(axis=2)
    x[4] = 1.0  # constant: NaN diagnostics
    whole = summary.diagnostics_table(x)
    monkeypatch.setattr(summary, "BLOCK_VALUES", 2 * 3 * 40)  # two quantities a block
    blocked = summary.diagnostics_table(x)
    assert len(summary.quantity_blocks(9, 120, 240)) == 5
    for column in whole:
        np.testing.assert_array_equal(blocked[column], whole[column])


def _trace(draws, chains=4, shape=(3,), diverging=None):
    z = RNG.normal(size=(chains, draws) + shape)
    return exmc.Trace(
        posterior={"z": z},
        sample_stats={
            "diverging": np.zeros((chains, draws), bool) if diverging is None else diverging(z),
            "tree_depth": np.full((chains, draws), 3, np.int32),
            "energy": RNG.normal(size=(chains, draws)),
        },
        attrs={"tune": 1000, "max_treedepth": 10},
    )


def test_checks_read_the_trace_in_blocks_with_the_same_verdicts(monkeypatch):
    trace = _trace(400, diverging=lambda z: z[..., 1] > 2.3)  # divergences at high z[1]
    whole = check_trace(trace)
    monkeypatch.setattr(checks, "BLOCK_VALUES", 4 * 400)  # one element a block
    blocked = check_trace(trace)
    assert [p.message for p in blocked] == [p.message for p in whole]
    assert [p.kind for p in whole] == ["divergences"] and "high z[1]" in whole[0].message


def test_long_runs_are_judged_on_every_kth_draw_and_say_so(monkeypatch):
    monkeypatch.setattr(checks, "CHECK_DRAWS", 100)
    stuck = _trace(1000)
    stuck.posterior["z"][0] += 5.0  # chain 0 elsewhere: R-hat far above 1.01
    (problem,) = [p for p in check_trace(stuck) if p.kind == "rhat"]
    assert "computed from every 10th draw" in problem.message


def test_checks_of_a_long_run_stay_within_a_constant_of_the_trace():
    """(4, 200000, 20) float64 draws (122 MiB): the checks used to need some 20 times that."""
    script = textwrap.dedent('''
        import json, resource
        import numpy as np
        import exmc
        from exmc.diagnostics.checks import check_trace
        rng = np.random.default_rng(0)
        trace = exmc.Trace(posterior={"z": rng.normal(size=(4, 200_000, 20))},
                           sample_stats={"diverging": rng.uniform(size=(4, 200_000)) < 1e-3,
                                         "energy": rng.normal(size=(4, 200_000))},
                           attrs={"tune": 1000})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        check_trace(trace)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"growth": after - before, "stored": trace.posterior["z"].nbytes}))
    ''')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["growth"] < 300 * 2**20, report
