"""chain_method and shard_data: settings here (one CPU device); the layouts on 4 simulated
devices in a pytest of their own (``multidevice/on_4_devices.py``), since JAX fixes its
device count at its first computation and this process has made it long ago."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import exmc
from exmc.demo import readme_model
from exmc.sampler import layouts

HERE = Path(__file__).parent
QUICK = dict(draws=20, tune=20, progressbar=False, checks=False)


def test_a_misspelt_chain_method_or_shard_data_is_refused_before_sampling():
    with pytest.raises(exmc.SettingsError, match="chain_method must be one of auto, threads, devices, vectorized"):
        exmc.sample(readme_model(), chain_method="gpu", **QUICK)
    with pytest.raises(exmc.SettingsError, match="shard_data must be True or False"):
        next(iter(exmc.sample_stream(readme_model(), shard_data="yes")))


def test_set_host_devices_checks_its_argument_and_refuses_a_late_change():
    with pytest.raises(exmc.SettingsError, match="integer >= 1"):
        exmc.set_host_devices(0)
    jax.numpy.zeros(1).block_until_ready()  # JAX has started here
    exmc.set_host_devices(jax.device_count())  # the count in place: nothing to do
    with pytest.raises(exmc.SettingsError, match="before any JAX computation"):
        exmc.set_host_devices(jax.device_count() + 1)


def test_auto_is_threads_on_one_cpu_and_the_trace_says_so():
    assert layouts.resolve("auto", 4) == "threads"
    trace = exmc.sample(readme_model(), chains=2, **QUICK)
    assert trace.attrs["chain_method"] == "threads" and trace.attrs["sharded_data"] == []


@pytest.mark.slow
def test_every_layout_on_one_device_gives_the_same_posterior_shape_and_resumes_in_its_layout():
    ir = readme_model()
    for layout in ("threads", "devices", "vectorized"):
        stream = list(exmc.sample_stream(ir, chains=3, seed=2, chain_method=layout, draws=10, tune=10))
        assert stream[-1].state.chain_method == layout
        trace = exmc.sample(ir, resume=stream[-1].state, draws=5, progressbar=False, checks=False)
        assert trace.attrs["chain_method"] == layout and trace.posterior["mu"].shape == (3, 5)


@pytest.mark.slow
def test_the_layouts_on_four_simulated_cpu_devices():
    """Devices = threads draw for draw (one chain per device); 8 chains on 4 devices and the
    vectorized layout pass posterior tests; no all-reduce in a chain-sharded program; sharded
    log-density and gradient = unsharded at relative 1e-12; stream, Stop and +N draws."""
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "multidevice" / "on_4_devices.py")],
        capture_output=True, text=True, timeout=1200, cwd=HERE.parent.parent, env=env,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


@pytest.mark.slow
def test_the_dashboards_stop_and_more_draws_in_the_vectorized_layout():
    """The dashboard passes chain_method on; Stop then "+N draws" give one longer run's draws."""
    import time

    import exmc_widgets

    ir = readme_model()
    settings = dict(chains=2, seed=3, chain_method="vectorized")
    dash = exmc_widgets.stream(ir, draws=10**6, tune=60, display=False, **settings)
    deadline = time.monotonic() + 600  # compilation and warmup on a loaded machine
    while dash.trace.n_draws == 0 and dash.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dash.running, dash.title  # no failure in the background
    dash.stop()
    n = dash.trace.n_draws
    assert 0 < n < 10**6
    dash.extend(37)
    assert dash.wait(600)
    extended = dash.trace
    reference = exmc.trace_from_batches(list(exmc.sample_stream(ir, draws=n + 37, tune=60, **settings)),
                                        exmc.compile_model(ir))
    assert extended.n_draws == n + 37
    for group in ("posterior", "sample_stats", "warmup_posterior"):
        for name, value in getattr(reference, group).items():
            np.testing.assert_array_equal(getattr(extended, group)[name], value, err_msg=f"{group}[{name}]")
