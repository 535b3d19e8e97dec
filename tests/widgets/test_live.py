"""The live coordinator: throttled, coalesced flushes that keep up; Stop and "+N draws"
keep every draw, equal to one uninterrupted run of the sampler."""

from __future__ import annotations

import time

import numpy as np
import pytest

import exmc
import exmc_widgets
from exmc.demo import readme_model
from exmc_widgets import live, prepare
from exmc_widgets.display import Display
from exmc_widgets.live import Coordinator, SamplerRun
from exmc_widgets.protocol import apply_ops, decode
from exmc_widgets.store import DrawStore

from .test_display import CHAINS, SHAPES, TUNE, batches

IR = readme_model()
SETTINGS = dict(chains=2, seed=3)


class Recorder:
    """Stands in for the widget's comm: keeps what would go to the browser, decoded."""

    def __init__(self):
        self.messages = []
        self.times = []

    def __call__(self, content, buffers):
        self.times.append(time.perf_counter())
        self.messages.append(decode(content, [bytes(b) for b in buffers]))

    def replay(self):
        browser = {}
        for message in self.messages:
            apply_ops(browser, message["ops"])
        return browser


def reference(draws, tune, **settings):
    """One uninterrupted run of the sampler, as a Trace."""
    return exmc.trace_from_batches(list(exmc.sampler.api.sample_stream(IR, draws=draws, tune=tune, **settings)),
                                   exmc.sampler.api._model(IR))


def assert_same_trace(a: exmc.Trace, b: exmc.Trace):
    for group in ("posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats"):
        left, right = getattr(a, group), getattr(b, group)
        assert left.keys() == right.keys()
        for name in left:
            np.testing.assert_array_equal(left[name], right[name], err_msg=f"{group}[{name!r}]")


def test_flushes_are_throttled_coalesced_and_keep_up():
    def fast_stream():
        for batch in batches(draws=12000, seed=4):
            time.sleep(0.004)  # ~250 batches a second: far more than 10 flushes a second
            yield batch

    store = DrawStore(SHAPES, CHAINS)
    recorder = Recorder()
    coordinator = Coordinator(store, Display(store, TUNE), recorder, lambda: None)
    ended = []
    run = SamplerRun(coordinator, fast_stream, lambda outcome, error: ended.append((outcome, error))).start()
    assert run.wait(60)
    assert ended == [("complete", None)] and coordinator.failure is None
    total = len(coordinator.received)
    assert total > 60
    # every batch went into exactly one flush; flushes coalesced many batches
    assert sum(entry["batches"] for entry in coordinator.log) == total
    assert len(coordinator.log) < total / 4
    # at most one flush per 100 ms while sampling; after it, the summary's last slices
    gaps = np.diff([entry["time"] for entry in coordinator.log if not entry["final"]])
    assert gaps.min() >= 0.1 - 1e-3
    assert coordinator.log[-1]["final"] and not coordinator.display.summary_stale()
    # no backlog: a batch waits at most about one interval before it is flushed
    assert max(entry["lag"] for entry in coordinator.log) < 0.3
    # messages numbered from 1 without gaps; the browser ends up with the whole run
    assert [m["seq"] for m in recorder.messages] == list(range(1, len(recorder.messages) + 1))
    browser = recorder.replay()
    n = store.n("sampling")
    assert n == 12000
    stride = prepare.thin_stride(n, 1000)
    np.testing.assert_array_equal(browser["trace/mu/s2"]["y"], store.values("sampling", "mu", 0)[2, ::stride])
    assert browser["$table"]["rows"][0][0] == "mu"


def test_a_page_that_acknowledges_gets_at_most_two_messages_ahead_and_the_same_state(monkeypatch):
    # flow control (decision 46): once a page acknowledges, at most IN_FLIGHT messages are
    # unacknowledged; what would be sent meanwhile is merged and goes with the next ack
    def run(acknowledging: bool):
        store = DrawStore(SHAPES, CHAINS)
        recorder = Recorder()
        coordinator = Coordinator(store, Display(store, TUNE), recorder, lambda: None, slow_interval=0.0)
        for i, batch in enumerate(batches(draws=6000, seed=6)):
            coordinator.add(batch)
            coordinator.flush()
            if acknowledging and i == 0:
                coordinator.on_ack(1, wait=True)
            if acknowledging and i % 10 == 9:  # a page drawing one message for every ten flushes
                assert coordinator.seq - coordinator.acked <= live.IN_FLIGHT
                coordinator.on_ack(coordinator.seq, wait=True)
        coordinator.flush(force_slow=True)
        if acknowledging:
            coordinator.on_ack(coordinator.seq, wait=True)
            coordinator.on_ack(coordinator.seq, wait=True)
        assert coordinator.held == []
        return coordinator, recorder

    plain, every_flush = run(acknowledging=False)
    controlled, fewer = run(acknowledging=True)
    flushes = len([entry for entry in controlled.log if not entry.get("released")])
    assert len(plain.log) == flushes
    # the log says which flushes were held (no seq) and which message released them
    assert all(entry["seq"] is not None for entry in plain.log)
    assert any(entry["seq"] is None for entry in controlled.log) and any(e.get("released") for e in controlled.log)
    assert len(every_flush.messages) == flushes and len(fewer.messages) < flushes / 3
    assert [m["seq"] for m in fewer.messages] == list(range(1, len(fewer.messages) + 1))
    before, after = every_flush.replay(), fewer.replay()
    assert before.keys() == after.keys()
    for key, value in before.items():
        if key == "$table":
            assert after[key] == value
            continue
        for column in value:
            np.testing.assert_array_equal(after[key][column], value[column], err_msg=key)
    # a page that stops acknowledging is sent to anyway after HOLD_LIMIT seconds
    monkeypatch.setattr(live, "HOLD_LIMIT", 0.0)
    sent = len(fewer.messages)
    controlled.add(next(iter(batches(draws=10, seed=7))))
    controlled.flush()
    assert len(fewer.messages) == sent + 1


def test_slow_panels_wait_for_their_interval():
    store = DrawStore(SHAPES, CHAINS)
    coordinator = Coordinator(store, Display(store, TUNE), Recorder(), lambda: None, slow_interval=10.0)
    for batch in batches(draws=200):
        coordinator.add(batch)
        coordinator.flush()
    for _ in range(5):
        coordinator.flush()
    # every part on the first draws, then none within the interval
    assert [entry["parts"] for entry in coordinator.log[:2]] == [("rows", "table", "pair", "energy"), ()]
    assert [entry["slow"] for entry in coordinator.log].count(True) == 1
    coordinator.flush(force_slow=True)
    assert coordinator.log[-1]["slow"]


def test_a_failing_panel_neither_stops_sampling_nor_hangs_wait(monkeypatch):
    store = DrawStore(SHAPES, CHAINS)
    display = Display(store, TUNE)
    monkeypatch.setattr(display, "slow_ops", lambda rows_only=None, **options: 1 / 0)
    coordinator = Coordinator(store, display, Recorder(), lambda: None)
    ended = []
    run = SamplerRun(coordinator, lambda: batches(draws=300), lambda o, e: ended.append(o)).start()
    assert run.wait(30)
    assert ended == ["complete"] and isinstance(coordinator.failure, ZeroDivisionError)
    assert len(coordinator.received) > 0


def test_after_a_stop_the_end_is_sent_before_the_last_draws():
    # issue 13: after a user's Stop the header's end ("stopped at N") must not wait for the
    # last panel flush; N counts every batch, and the last draws still reach the page
    def fast_stream():
        for batch in batches(draws=12000, seed=4):
            time.sleep(0.004)
            yield batch

    store = DrawStore(SHAPES, CHAINS)
    recorder = Recorder()
    coordinator = Coordinator(store, Display(store, TUNE), recorder, lambda: None)
    ended, stopped = [], []
    run = SamplerRun(coordinator, fast_stream, lambda outcome, error: ended.append(
        (outcome, store.n("sampling"), len(coordinator.log))),
        on_stopped=lambda: stopped.append((coordinator.sampling_made, len(coordinator.received), run.finished.is_set())))
    run.start()
    wait_for(lambda: sum(b.n for b in coordinator.received if b.phase == "sampling") > 0)
    run.stop()
    assert run.wait(30)
    made = sum(b.n for b in coordinator.received if b.phase == "sampling")
    assert 0 < made < 12000
    # the sampler thread says it stopped as soon as the last batch is in: its count is every
    # draw made, with no flush in between needed
    assert stopped == [(made, len(coordinator.received), False)]
    [(outcome, n_at_end, flushes_before)] = ended
    assert outcome == "stopped" and n_at_end == made  # the end counts every draw made
    # the flush that sends the last draws (not one of the summary's final slices) follows it
    assert any(not entry["final"] for entry in coordinator.log[flushes_before:])
    browser = recorder.replay()
    stride = prepare.thin_stride(made, 1000)
    np.testing.assert_array_equal(browser["trace/mu/s1"]["y"], store.values("sampling", "mu", 0)[1, ::stride])


def wait_for(condition, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while not condition():
        assert time.perf_counter() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def yielded(monkeypatch):
    """Every batch the sampler yields to the dashboard, counted at the source."""
    batches, original = [], exmc.sample_stream

    def counting(*args, **kwargs):
        for batch in original(*args, **kwargs):
            batches.append(batch)
            yield batch

    monkeypatch.setattr(exmc, "sample_stream", counting)
    return batches


@pytest.mark.slow
def test_stop_keeps_every_draw_and_extend_continues_the_same_chains(yielded):
    dash = exmc_widgets.stream(IR, draws=10**6, tune=100, display=False, **SETTINGS)
    assert dash.running  # stream returned at once; sampling goes on in the background
    wait_for(lambda: dash.trace.n_draws > 0)
    dash.stop()
    stopped = dash.trace
    n = stopped.n_draws
    assert 0 < n < 10**6
    assert n == sum(b.n for b in yielded if b.phase == "sampling")  # every draw the sampler made
    assert (dash.state, dash.draws_shown, dash.title) == ("stopped", n, f"MCMC Live Sampling (stopped at {n} / 1000000)")
    assert dash.can_extend
    assert_same_trace(stopped, reference(n, 100, **SETTINGS))
    assert stopped.attrs["seed"] == 3

    dash.extend(37)
    assert dash.wait(60)
    extended = dash.trace
    assert extended.n_draws == n + 37 == sum(b.n for b in yielded if b.phase == "sampling")
    assert (dash.state, dash.title, dash.draws_shown) == ("complete", "MCMC Live Sampling (complete)", n + 37)
    assert_same_trace(extended, reference(n + 37, 100, **SETTINGS))
    assert dash.divergences == int(extended.sample_stats["diverging"].sum())
    assert dash.step_size == pytest.approx(extended.sample_stats["step_size"][:, -1].mean())


@pytest.mark.slow
def test_stop_in_warmup_then_extend_finishes_warmup_first():
    dash = exmc_widgets.stream(IR, draws=40, tune=150, display=False, **SETTINGS)
    dash.stop()  # takes effect after the first batch: a few warmup iterations
    stopped = dash.trace
    assert stopped.n_draws == 0 and 0 < stopped.warmup_sample_stats["energy"].shape[1] < 150
    assert dash.title == "MCMC Live Sampling (stopped at 0 / 40)"
    dash.extend(40)
    assert dash.wait(60)
    assert_same_trace(dash.trace, reference(40, 150, **SETTINGS))


@pytest.mark.slow
def test_the_front_ends_buttons_and_ready_message():
    dash = exmc_widgets.stream(IR, draws=10**6, tune=50, display=False, **SETTINGS)
    recorder = Recorder()
    dash._coordinator._send = recorder
    wait_for(lambda: dash.trace.n_draws > 0)
    with pytest.raises(exmc.SettingsError, match="still running"):
        dash.extend(10)
    dash._on_message(dash, {"type": "stop"}, [])
    assert dash.wait(30) and dash.state == "stopped"
    before = len(recorder.messages)
    dash._on_message(dash, {"type": "ready"}, [])
    snapshot = recorder.messages[before]
    assert snapshot["snapshot"] and snapshot["seq"] == recorder.messages[before - 1]["seq"] + 1
    shown = {}
    apply_ops(shown, snapshot["ops"])
    n = dash.trace.n_draws
    np.testing.assert_array_equal(shown["trace/mu/s1"]["y"], dash.trace.posterior["mu"][1, :: prepare.thin_stride(n, 1000)])
    dash._on_message(dash, {"type": "extend", "draws": 5}, [])
    assert dash.wait(30) and dash.trace.n_draws == n + 5


def test_a_failure_in_the_sampler_shows_in_the_header():
    dash = exmc_widgets.stream(IR, draws=10, tune=10, display=False, init_values={"sigma": -1.0}, **SETTINGS)
    assert dash.wait(30)
    assert dash.state == "error" and isinstance(dash.error, exmc.ExmcError)
    assert "sigma" in dash.message and dash.title == "MCMC Live Sampling (error at 0 / 10)"
    assert dash.trace.n_draws == 0 and not dash.can_extend
