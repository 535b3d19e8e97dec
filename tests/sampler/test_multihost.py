"""Two processes on 127.0.0.1 through ``jax.distributed`` (2 CPU devices each, gloo
collectives): process 0's trace equals a one-process run of the same layout on 4 devices,
draw for draw, for chains over devices and for data rows over devices (each process's
devices hold half the rows). The worker: ``multidevice/multihost_worker.py``."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).parent / "multidevice" / "multihost_worker.py"
TIMEOUT = 150  # seconds a worker may take (about a minute on a shared two-core machine)

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_workers(tmp_path: Path, processes: int) -> list[Path]:
    port = free_port()
    outs = [tmp_path / f"p{processes}_{i}.npz" for i in range(processes)]
    logs = [open(tmp_path / f"p{processes}_{i}.log", "w") for i in range(processes)]
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(port), str(i), str(processes), str(outs[i])],
                              stdout=logs[i], stderr=subprocess.STDOUT) for i in range(processes)]
    try:
        codes = [p.wait(timeout=TIMEOUT) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    for i, code in enumerate(codes):
        text = (tmp_path / f"p{processes}_{i}.log").read_text()
        assert code == 0, f"process {i} of {processes} exited with {code}:\n{text[-4000:]}"
    return outs


def test_two_processes_give_process_0_the_trace_of_one_process(tmp_path):
    two = [np.load(path) for path in run_workers(tmp_path, 2)]
    one = np.load(run_workers(tmp_path, 1)[0])
    assert two[0]["chains_mu"].shape == (4, 60) and two[0]["data_mu"].shape == (2, 60)
    assert list(two[0]["sharded"]) == ["y_obs"]
    for key in one.files:
        np.testing.assert_array_equal(two[0][key], one[key], err_msg=key)
        np.testing.assert_array_equal(two[1][key], one[key], err_msg=key)  # the others get it too
