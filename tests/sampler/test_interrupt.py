"""Ctrl-C under exmc.sample: a second press cannot lose the draws already made; a press
during compilation starts nothing more (issue 10, decision 39)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import exmc
from exmc.compile.model import CompiledModel
from exmc.demo import readme_model
from exmc.sampler import driver

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import exmc
    from exmc.sampler import driver

    driver.BATCH_SECONDS = 0.05
    ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=40)
    trace = exmc.sample(ir, draws=200_000, tune=100, chains=4, seed=3)
    z = trace.posterior["z"]
    print(json.dumps({"draws": trace.n_draws, "shape": list(z.shape), "finite": bool(np.isfinite(z).all()),
                      "first": z[:, :5, 0].tolist()}), flush=True)
""")


def _wait_for(process, text: str, timeout: float) -> None:
    """Read the child's stderr (the progress bar) until ``text`` appears."""
    seen, deadline = b"", time.monotonic() + timeout
    os.set_blocking(process.stderr.fileno(), False)
    while text.encode() not in seen:
        if time.monotonic() > deadline or process.poll() is not None:
            raise AssertionError(f"no {text!r} from the child: {seen[-2000:]!r}")
        chunk = process.stderr.read()
        seen += chunk or b""
        time.sleep(0.02)


@pytest.mark.parametrize("gap", [0.05, 0.005])
def test_two_ctrl_c_in_a_child_process_keep_every_draw(gap):
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(process, "sampling", timeout=240)
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        time.sleep(gap)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, f"the child died (rc {process.returncode}): the draws were lost"
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert 0 < report["draws"] < 200_000 and report["shape"] == [4, report["draws"], 40] and report["finite"]
    # the draws kept are the run's own: the same seed gives the same first draws
    ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=40)
    reference = exmc.sample(ir, draws=5, tune=100, chains=4, seed=3, progressbar=False)
    np.testing.assert_array_equal(np.array(report["first"]), reference.posterior["z"][:, :5, 0])


def _counting_initial_points(monkeypatch) -> list:
    calls = []
    real = CompiledModel.initial_point

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CompiledModel, "initial_point", counted)
    return calls


def test_one_ctrl_c_during_compilation_lets_the_compiler_finish_and_starts_nothing_more(monkeypatch):
    calls = _counting_initial_points(monkeypatch)
    real = driver.kernels
    compiled = []

    def compiling(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # lands as the chunk starts compiling
        time.sleep(0.01)
        compiled.append(real(*args, **kwargs))  # a plain KeyboardInterrupt would cut this short
        return compiled[-1]

    monkeypatch.setattr(driver, "kernels", compiling)
    with pytest.warns(UserWarning, match="interrupted: the trace keeps the 0 draws"):
        trace = exmc.sample(readme_model(), draws=20, tune=20, chains=2, progressbar=False)
    assert len(compiled) == 1  # the compiler was let finish (interrupting XLA can crash at exit)
    assert calls == []  # then nothing more: no initial point searched, no chunk run
    assert trace.posterior == {} and trace.n_draws == 0


def test_a_second_ctrl_c_during_compilation_aborts_at_once_with_nothing_to_lose(monkeypatch):
    calls = _counting_initial_points(monkeypatch)
    model = exmc.compile_model(readme_model())
    real = driver.kernels
    reached = []

    def compiling(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)  # the guard raises here: the compiler is never called
        time.sleep(0.01)
        reached.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(driver, "kernels", compiling)
    with pytest.warns(UserWarning, match="0 draws"):
        trace = exmc.sample(model, draws=20, tune=20, chains=2, progressbar=False)
    assert reached == [] and calls == [] and trace.n_draws == 0


def test_ctrl_c_during_the_checks_skips_them_and_returns_the_trace(monkeypatch):
    from exmc.sampler import api

    def interrupted_checks(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        raise AssertionError("the press should have interrupted the checks")

    monkeypatch.setattr(api, "warn_about", interrupted_checks)
    with pytest.warns(UserWarning, match="checks were interrupted"):
        trace = exmc.sample(readme_model(), draws=30, tune=30, chains=2, progressbar=False)
    assert trace.posterior["mu"].shape == (2, 30)


def test_the_handler_is_restored_after_sampling():
    before = signal.getsignal(signal.SIGINT)
    exmc.sample(readme_model(), draws=10, tune=10, chains=1, progressbar=False)
    assert signal.getsignal(signal.SIGINT) is before
