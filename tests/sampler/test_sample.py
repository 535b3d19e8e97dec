"""sample and sample_stream: reproducibility, stream = sample, early stop, compile once."""

from __future__ import annotations

import gc
import os
import signal
import threading
import weakref

import jax
import numpy as np
import pytest

import exmc
from exmc.demo import readme_model as readme_ir
from exmc.sampler import driver


IR = readme_ir()
SMALL = dict(draws=60, tune=40, chains=3, progressbar=False)


def test_trace_has_the_documented_shapes_and_stats():
    trace = exmc.sample(IR, seed=1, **SMALL)
    assert trace.posterior["mu"].shape == (3, 60)
    assert trace.warmup_posterior["sigma"].shape == (3, 40)
    assert set(trace.sample_stats) == {
        "diverging", "energy", "step_size", "tree_depth", "n_steps", "lp", "accept_prob"
    }
    assert all(v.shape == (3, 60) for v in trace.sample_stats.values())
    assert np.all(trace.posterior["sigma"] > 0)
    assert trace.sample_stats["diverging"].dtype == np.bool_
    # the step size is fixed after warmup, per chain
    assert np.all(trace.sample_stats["step_size"] == trace.sample_stats["step_size"][:, :1])


def test_same_seed_same_trace_and_other_seed_other_trace():
    a = exmc.sample(IR, seed=5, **SMALL)
    b = exmc.sample(IR, seed=5, **SMALL)
    c = exmc.sample(IR, seed=6, **SMALL)
    np.testing.assert_array_equal(a.posterior["mu"], b.posterior["mu"])
    np.testing.assert_array_equal(a.sample_stats["energy"], b.sample_stats["energy"])
    assert not np.array_equal(a.posterior["mu"], c.posterior["mu"])


def test_chains_do_not_depend_on_how_many_run_or_how_chunks_are_cut(monkeypatch):
    full = exmc.sample(IR, seed=2, **SMALL)
    monkeypatch.setattr(driver, "FIRST_CHUNK", 3)
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)  # one-iteration chunks
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # no floor for the fixed cost of a round
    settings = dict(SMALL, chains=2)
    two = exmc.sample(IR, seed=2, **settings)
    np.testing.assert_array_equal(full.posterior["mu"][:2], two.posterior["mu"])
    np.testing.assert_array_equal(full.warmup_sample_stats["step_size"][:2], two.warmup_sample_stats["step_size"])


def test_stream_batches_equal_sample_draw_for_draw():
    trace = exmc.sample(IR, seed=3, **SMALL)
    batches = list(exmc.sample_stream(IR, seed=3, **SMALL))
    assert [b.phase for b in batches] == sorted((b.phase for b in batches), key=["warmup", "sampling"].index)
    assert batches[-1].done == batches[-1].total == 60
    streamed = exmc.trace_from_batches(batches, exmc.compile_model(IR))
    for name in trace.posterior:
        np.testing.assert_array_equal(streamed.posterior[name], trace.posterior[name])
        np.testing.assert_array_equal(streamed.warmup_posterior[name], trace.warmup_posterior[name])
    for stat in trace.sample_stats:
        np.testing.assert_array_equal(streamed.sample_stats[stat], trace.sample_stats[stat])


def test_closing_the_stream_early_keeps_a_valid_prefix(monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # no floor for the fixed cost of a round
    full = exmc.sample(IR, seed=4, **SMALL)
    stream = exmc.sample_stream(IR, seed=4, **SMALL)
    received = []
    for batch in stream:
        received.append(batch)
        if batch.phase == "sampling" and batch.done >= 10:
            break
    stream.close()
    partial = exmc.trace_from_batches(received, exmc.compile_model(IR))
    n = partial.n_draws
    assert 10 <= n < 60
    np.testing.assert_array_equal(partial.posterior["mu"], full.posterior["mu"][:, :n])
    np.testing.assert_array_equal(partial.sample_stats["lp"], full.sample_stats["lp"][:, :n])


def _stream_until(stream, phase, n):
    received = []
    for batch in stream:
        received.append(batch)
        if batch.phase == phase and batch.done >= n:
            break
    stream.close()
    return received


def test_resuming_a_stopped_stream_gives_the_draws_of_one_longer_run(monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # no floor for the fixed cost of a round
    first = _stream_until(exmc.sample_stream(IR, seed=5, **SMALL), "sampling", 10)
    stopped_at = first[-1].done
    assert first[-1].state.draws_done == stopped_at
    more = list(exmc.sample_stream(IR, draws=25, resume=first[-1].state))
    assert {b.phase for b in more} == {"sampling"}
    assert more[-1].done == more[-1].total == stopped_at + 25
    assert [b.done for b in more] == sorted(b.done for b in more)
    model = exmc.compile_model(IR)
    joined = exmc.trace_from_batches(first + more, model)
    longer = exmc.sample(IR, seed=5, **dict(SMALL, draws=stopped_at + 25))
    for name in longer.posterior:
        np.testing.assert_array_equal(joined.posterior[name], longer.posterior[name])
    for stat in longer.sample_stats:
        np.testing.assert_array_equal(joined.sample_stats[stat], longer.sample_stats[stat])
    np.testing.assert_array_equal(joined.warmup_posterior["mu"], longer.warmup_posterior["mu"])


def test_resuming_in_warmup_finishes_the_warmup_first(monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SECONDS", 1e-6)
    monkeypatch.setattr(driver, "OVERHEAD_FACTOR", 0)  # no floor for the fixed cost of a round
    first = _stream_until(exmc.sample_stream(IR, seed=6, **SMALL), "warmup", 5)
    assert first[-1].phase == "warmup" and first[-1].done < SMALL["tune"]
    trace = exmc.sample(IR, draws=20, resume=first[-1].state, progressbar=False)
    whole = exmc.trace_from_batches(first, exmc.compile_model(IR))
    longer = exmc.sample(IR, seed=6, **dict(SMALL, draws=20))
    np.testing.assert_array_equal(
        np.concatenate([whole.warmup_posterior["mu"], trace.warmup_posterior["mu"]], axis=1),
        longer.warmup_posterior["mu"],
    )
    np.testing.assert_array_equal(trace.posterior["mu"], longer.posterior["mu"])
    assert trace.attrs["tune"] == SMALL["tune"] and trace.attrs["seed"] == 6


def test_resume_refuses_another_model_or_a_non_state():
    state = next(iter(exmc.sample_stream(IR, draws=5, tune=5, chains=1))).state
    other = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    with pytest.raises(exmc.SettingsError, match="another model"):
        next(iter(exmc.sample_stream(other, draws=5, resume=state)))
    with pytest.raises(exmc.SettingsError, match="resume must be"):
        next(iter(exmc.sample_stream(IR, draws=5, resume={"chains": 1})))


def test_keyboard_interrupt_in_sample_keeps_every_draw_made(monkeypatch):
    monkeypatch.setattr(driver, "BATCH_SECONDS", 0.05)
    settings = dict(SMALL, draws=100_000, tune=50)
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.warns(UserWarning, match="interrupted"):
            trace = exmc.sample(IR, seed=8, **settings)
    finally:
        timer.cancel()
    n = trace.n_draws
    assert 0 < n < 100_000
    assert trace.posterior["mu"].shape == (3, n)
    reference = exmc.sample(IR, seed=8, **dict(settings, draws=n))
    np.testing.assert_array_equal(trace.posterior["mu"], reference.posterior["mu"])


def test_model_and_sampler_compile_once_for_all_chains():
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: compiles.append(event) if event.endswith("backend_compile_duration") else None
    )

    def count(ir, chains):
        before = len(compiles)
        exmc.sample(ir, seed=0, **dict(SMALL, chains=chains))
        return len(compiles) - before

    # JAX's own one-time, per-shape jits first (a model of the same dimension)
    count(exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=2), 2)
    one_chain = count(readme_ir(), 1)  # fresh IRs: nothing of theirs cached
    ir = readme_ir()
    four_chains = count(ir, 4)
    assert 0 < four_chains == one_chain  # the chains share every compilation
    assert count(ir, 4) == 0  # warm: the same IR samples again without compiling


def test_a_dropped_model_frees_its_compiled_code():
    # decision 74: a table of compiled models keyed by the IR kept every model ever sampled
    # (and its executables) alive, until XLA ran out of memory maps and crashed
    ir = readme_ir()
    trace = exmc.sample(ir, seed=0, **SMALL)
    (compiled,) = ir.compiled.models.values()
    kernels = [k for k in vars(compiled).values() if isinstance(k, dict)]
    assert trace.posterior["mu"].shape[0] == SMALL["chains"] and kernels
    dropped = [weakref.ref(ir), weakref.ref(compiled)]
    shared = len(driver._shared)
    del ir, trace, compiled, kernels
    gc.collect()
    assert [r() for r in dropped] == [None, None]
    assert len(driver._shared) < shared  # the compiled chunk went with its model


@pytest.mark.parametrize(
    "settings, match",
    [
        (dict(draws=-1), "draws"),
        (dict(chains=0), "chains"),
        (dict(target_accept=1.0), "target_accept"),
        (dict(max_treedepth=0), "max_treedepth"),
        (dict(tune=2.5), "tune"),
        (dict(init_values=[1.0]), "init_values"),
        (dict(metric="diag"), "metric"),
        (dict(noncenter="yes"), "noncenter"),
    ],
)
def test_bad_settings_raise_before_sampling(settings, match):
    with pytest.raises(exmc.SettingsError, match=match):
        exmc.sample(IR, **dict(dict(progressbar=False), **settings))


def test_noncenter_switch_samples_the_model_as_written():
    from exmc.demo import eight_schools

    ir = eight_schools()
    rewritten = exmc.sample(ir, draws=20, tune=20, chains=1, progressbar=False)
    as_written = exmc.sample(ir, draws=20, tune=20, chains=1, progressbar=False, noncenter=False)
    assert [r.node for r in rewritten.rewrites] == ["theta"] and "theta_raw" in rewritten.posterior
    assert as_written.rewrites == () and "theta_raw" not in as_written.posterior
    assert as_written.posterior["theta"].shape == rewritten.posterior["theta"].shape == (1, 20, 8)
    assert as_written.attrs["noncenter"] is False


def test_a_model_with_nothing_free_says_so_before_sampling():
    ir = exmc.Builder.new_ir().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0}).obs("x_obs", "x", [0.3])
    with pytest.raises(exmc.ExmcError, match="no free random variables"):
        exmc.sample(ir, draws=10, tune=10, chains=1, progressbar=False)


def test_zero_draws_or_zero_tune_give_valid_traces():
    no_draws = exmc.sample(IR, draws=0, tune=30, chains=2, progressbar=False)
    assert no_draws.posterior["mu"].shape == (2, 0) and no_draws.warmup_posterior["mu"].shape == (2, 30)
    no_tune = exmc.sample(IR, draws=30, tune=0, chains=2, progressbar=False)
    assert no_tune.posterior["mu"].shape == (2, 30) and no_tune.warmup_posterior["mu"].shape == (2, 0)


def test_progress_bar_reports_draws_divergences_and_step_size(capsys):
    exmc.sample(IR, seed=0, draws=20, tune=20, chains=2)
    err = capsys.readouterr().err
    assert "sampling 20/20" in err and "draws/s" in err and "divergences" in err and "step size" in err


def test_chunk_length_grows_past_the_fixed_cost_of_a_round():
    """With hundreds of chains one round of calls costs about a second before any iteration:
    sizing by elapsed / n alone read that as the cost of an iteration and ran one-iteration
    chunks (1000 chains: about 1 s an iteration)."""
    # 1000 chains: 1.2 s of calls plus 20 ms an iteration, 8 iterations in the last round
    n = driver.next_chunk_length(elapsed=1.2 + 8 * 0.02, n=8, overhead=1.2, length=1024)
    assert abs(n - driver.OVERHEAD_FACTOR * 1.2 / 0.02) <= 1  # the calls are a quarter of the round
    # 4 chains: negligible overhead, 1 ms an iteration: a batch every BATCH_SECONDS
    n = driver.next_chunk_length(elapsed=0.004 + 8 * 0.001, n=8, overhead=0.004, length=1024)
    assert abs(n - (driver.BATCH_SECONDS - 0.004) / 0.001) <= 1
    # noise: the round measured faster than the overhead alone still gives a valid length
    assert 1 <= driver.next_chunk_length(elapsed=0.5, n=4, overhead=1.0, length=1024) <= 1024
