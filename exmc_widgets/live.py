"""The live coordinator: between the sampler thread and the front end (seed section XI).

Three parties, each on its own schedule. The sampler thread iterates ``exmc.sample_stream``
and only appends each batch to a queue (it never waits for the dashboard, so sampling runs
at full speed). The flusher thread drains the queue into the ``DrawStore`` and sends the
panels' ops, coalescing whatever arrived since the last flush, at most once every
``min_interval`` seconds (10 a second); the costlier panels (histograms, ACF, summary,
forest, pair, energy) one part at a time, each part at most every ``slow_interval``, the
turns stretched to four times the last one's computing time so that they never take more
than a fifth of the flusher's time, and no single update computes them all. The kernel's
main thread answers the front end (ready, stop, +N draws) through the same lock.

Every message carries a sequence number. A front end applies deltas only when it has seen
every message before them (from the first, or from a snapshot); otherwise it asks for a
snapshot ("ready") and waits for it. Python never waits for the front end: a cell that
blocks the kernel (``%exmc sample`` waits for the run) holds up the front end's messages,
not the dashboard's.

Flow control: a page acknowledges each message once it has applied and drawn it ("ack").
Once a page has acknowledged one, at most ``IN_FLIGHT`` messages are ever unacknowledged;
what the flusher would send meanwhile is held and merged (``protocol.merge_ops``: one op per
source) and goes out with the next acknowledgement, or after ``HOLD_LIMIT`` seconds if none
comes (a page closed). A page that draws slowly (software rendering on cores the sampler
keeps busy) then receives fewer, larger messages instead of a queue that grows behind it:
unacknowledged, the radon dashboard's messages reached the page 1.5-14 s after they were
sent, and a Stop click waited behind them (decision 46).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Callable

import numpy as np

from exmc_widgets.display import FINAL_SUMMARY_BUDGET, SLOW_PARTS, SUMMARY_BUDGET, Display
from exmc_widgets.protocol import encode, merge_ops, ops_message
from exmc_widgets.store import DrawStore

MIN_INTERVAL = 0.1  # seconds between flushes: at most 10 a second
SLOW_INTERVAL = 1.0  # seconds between recomputations of the slow panels, at least
SLOW_FACTOR = 4.0  # ... and at least this many times their last computing time
IN_FLIGHT = 2  # messages a page that acknowledges may have unacknowledged
HOLD_LIMIT = 2.0  # seconds held ops wait for an acknowledgement before going anyway


class Coordinator:
    """Batches in, ops out.

    store, display : the draws and the panels' state.
    send : sends one encoded message, ``send(content, buffers)``.
    on_header : called after a flush that took in new batches (the header follows the store).
    """

    def __init__(self, store: DrawStore, display: Display, send: Callable, on_header: Callable[[], None],
                 min_interval: float = MIN_INTERVAL, slow_interval: float = SLOW_INTERVAL):
        self.store, self.display = store, display
        self._send, self._on_header = send, on_header
        self.min_interval, self.slow_interval = min_interval, slow_interval
        self.lock = threading.RLock()
        self.pending: collections.deque = collections.deque()
        self.received: list = []  # every batch, in order: the trace
        # draws per chain of the sampling phase, the store's and every batch added since
        # (the sampler thread's count: it does not wait for a flush)
        self.sampling_made = store.n("sampling")
        self.arrivals: list[float] = []  # each batch's arrival, wall-clock (time.time): the page's lag is measured against it
        self.wake = threading.Event()
        self.seq = 0
        self.last_flush = 0.0
        self.last_slow = -np.inf
        self.slow_cost = 0.0
        self.next_part = 0  # the recomputed panels' part whose turn is next (display.SLOW_PARTS)
        self.parts_sent: set[str] = set()  # the parts sent at least once
        self.failure: Exception | None = None  # the last error of a flush, if any
        # one entry per flush: time, batches, ops, bytes, seconds (benchmark); "seq": the message
        # it sent (None: held for a page that is behind); a release of held ops has an entry too
        self.log: list[dict] = []
        self.acked: int | None = None  # the newest message a page acknowledged (None: no page acknowledges)
        self.held: list[dict] = []  # ops not yet sent to a page that is behind (merged)
        self.last_sent = 0.0

    # The sampler thread's side: never blocks on the dashboard.
    def add(self, batch) -> None:
        if batch.phase == "sampling":
            self.sampling_made += batch.n
        batch_time = time.perf_counter()
        self.arrivals.append(time.time())
        self.received.append(batch)
        self.pending.append((batch_time, batch))
        self.wake.set()

    # The flusher's side.
    def drain(self) -> int:
        """Move the batches that arrived into the store without sending anything; returns
        how many (the next flush sends what they changed, without calling ``on_header``)."""
        with self.lock:
            taken = 0
            while self.pending:
                self.store.append(self.pending.popleft()[1])
                taken += 1
            return taken

    def flush(self, force_slow: bool = False, every: bool | None = None, final: bool = False,
              parts: tuple[str, ...] = SLOW_PARTS) -> int:
        """Drain the queue into the store and send what changed; returns the number of
        batches coalesced. ``force_slow``: the slow panels too, with every summary row
        (``every``, default ``force_slow``) or the next slice of them. ``final``: one of the
        slices that finish the summary once sampling has ended (logged as such), of the
        recomputed panels' ``parts``."""
        every = force_slow if every is None else every
        with self.lock:
            started = time.perf_counter()
            taken, oldest = 0, None
            while self.pending:
                arrived, batch = self.pending.popleft()
                oldest = arrived if oldest is None else oldest
                self.store.append(batch)
                taken += 1
            ops = self.display.fast_ops()
            # one part of the recomputed panels a turn, each part every ``slow_interval``
            turn = self.slow_interval / len(SLOW_PARTS)
            # the first round at once, every part on the first draws (few, so cheap): every
            # panel shows data from the first batch
            first_round = len(self.parts_sent) < len(SLOW_PARTS) and self.store.n("warmup") + self.store.n("sampling") > 0
            slow = (force_slow or first_round
                    or started - self.last_slow >= max(turn, SLOW_FACTOR * self.slow_cost))
            done_parts: tuple[str, ...] = ()
            if slow:
                slow_started = time.perf_counter()
                if force_slow:
                    ops += self.display.slow_ops(every=every, parts=parts)
                    done_parts = parts
                elif first_round:
                    done_parts = SLOW_PARTS
                    ops += self.display.slow_ops(every=False, parts=done_parts)
                else:
                    done_parts = (SLOW_PARTS[self.next_part],)
                    ops += self.display.slow_ops(every=False, parts=done_parts)
                    self.next_part = (self.next_part + 1) % len(SLOW_PARTS)
                self.slow_cost = time.perf_counter() - slow_started
                self.last_slow = started
            self.parts_sent.update(done_parts)
            sent_before = self.seq
            size = self._emit(ops) if ops else 0
            if taken:
                self._on_header()
            self.last_flush = time.perf_counter()
            self.log.append({"time": started, "wall": time.time(), "final": final, "parts": done_parts,
                             "seq": self.seq if self.seq != sent_before else None, "batches": taken, "ops": len(ops), "bytes": size, "slow": slow,
                             "seconds": self.last_flush - started,
                             "lag": (started - oldest) if oldest is not None else 0.0})
            return taken

    def _emit(self, ops: list[dict], snapshot: bool = False) -> int:
        """Send ``ops`` now, or hold them (merged) while a page is ``IN_FLIGHT`` messages
        behind; returns the bytes sent (0 when held)."""
        if snapshot:
            self.held = []  # a snapshot is the whole state: what was held is in it
        else:
            behind = self.acked is not None and self.seq - self.acked >= IN_FLIGHT
            if behind and time.perf_counter() - self.last_sent < HOLD_LIMIT:
                self.held = merge_ops(self.held + ops)
                return 0
            if self.held:
                ops, self.held = merge_ops(self.held + ops), []
        self.seq += 1
        content, buffers = encode(ops_message(self.seq, ops, snapshot))
        self._send(content, buffers)
        self.last_sent = time.perf_counter()
        return sum(b.nbytes for b in buffers)

    def on_ack(self, seq: int, wait: bool = False) -> None:
        """A page has applied and drawn message ``seq``: send what was held for it. Called on
        the kernel's main thread, which must never wait for a flush in progress (a Stop click
        queued behind acknowledgements would wait for each): the held ops go from a thread of
        their own (``wait``: here, for tests)."""
        self.acked = seq if self.acked is None else max(self.acked, min(seq, self.seq))
        if not self.held:
            return
        if wait:
            self._release()
        else:
            threading.Thread(target=self._release, name="exmc-dashboard-release", daemon=True).start()

    def _release(self) -> None:
        with self.lock:
            if self.held and self.seq - self.acked < IN_FLIGHT:
                started = time.perf_counter()
                size = self._emit([])
                self.log.append({"time": started, "wall": time.time(), "final": False, "parts": (), "seq": self.seq,
                                 "batches": 0, "ops": 0, "bytes": size, "slow": False,
                                 "seconds": time.perf_counter() - started, "lag": 0.0, "released": True})

    def on_ready(self) -> None:
        """A front end that missed messages (a page reloaded) asks for everything: a
        snapshot, which the front ends already in step apply too (it equals what they show)."""
        with self.lock:
            self._emit(self.display.snapshot_ops(), snapshot=True)

    def replace_display(self, display: Display) -> None:
        """Show other variables: the new panels' state, sent whole as a snapshot (the front
        end has rebuilt its figures from the new spec, which the widget sent first)."""
        with self.lock:
            self.display = display
            self.display.fast_ops()  # every growing source starts from the store
            ops = self.display.snapshot_ops() + self.display.slow_ops()
            self._emit(ops, snapshot=True)

    def select(self, name: str, element: int) -> None:
        with self.lock:
            self.display.select(name, element)
            ops = self.display.fast_ops() + self.display.slow_ops(rows_only=[name])
            self._emit(ops)

    def run_flusher(self, finished: threading.Event, settled: threading.Event, on_settled: Callable[[], None],
                    stopped: threading.Event | None = None) -> None:
        """The flusher thread: flush when batches arrive, at most every ``min_interval``;
        once ``finished`` is set, a last flush, ``on_settled``, then a flush of every panel
        and every summary row. After a user's Stop (``stopped`` set) the last batches go
        into the store and ``on_settled`` comes first, before that last flush: the page
        shows where the run stopped at once, and the last draws follow."""
        ended_early = False
        try:
            while True:
                self.wake.wait(timeout=0.5)
                if not (self.wake.is_set() or finished.is_set()):
                    continue
                if finished.is_set() and stopped is not None and stopped.is_set():
                    break  # no pause for the flush interval: the user is waiting
                wait = self.last_flush + self.min_interval - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)  # the last flush keeps the interval too
                self.wake.clear()
                if finished.is_set():
                    break
                self._guarded_flush()
            if stopped is not None and stopped.is_set():
                ended_early = True
                with self.lock:
                    if self.drain():
                        self._on_header()
                on_settled()
                time.sleep(max(0.0, self.last_flush + self.min_interval - time.perf_counter()))
            # The page learns at once that sampling ended (traces and header first); every
            # summary row follows, which may take longer with many elements shown.
            self._guarded_flush()
        finally:
            try:
                if not ended_early:
                    on_settled()
            finally:
                # every panel from every draw, one part an update, then the summary's
                # remaining rows in time-budgeted slices, sent back to back (the sampler is
                # done; no single update grows with the elements shown, and none computes
                # every panel at once: 0.34 s on the 85-group model when one did)
                self.display.summary_budget = FINAL_SUMMARY_BUDGET
                turns = [(part,) for part in SLOW_PARTS]
                for _ in range(len(SLOW_PARTS) + len(self.display.all)):
                    parts = turns.pop(0) if turns else ("table",)
                    self._guarded_flush(force_slow=True, every=False, final=True, parts=parts)
                    if self.failure is not None or not (turns or self.display.summary_stale()):
                        break
                self.display.summary_budget = SUMMARY_BUDGET
                settled.set()

    def _guarded_flush(self, force_slow: bool = False, every: bool | None = None, final: bool = False,
                       parts: tuple[str, ...] = SLOW_PARTS) -> None:
        # A failing panel must neither stop the sampler nor leave ``wait()`` hanging: the
        # error is kept (and shown in the header) and the next flush tries again.
        try:
            self.flush(force_slow, every, final, parts)
        except Exception as error:
            self.failure = error


class SamplerRun:
    """One sampling run in the background: a sampler thread and a flusher thread.

    stream : a zero-argument function returning the ``sample_stream`` generator.
    """

    def __init__(self, coordinator: Coordinator, stream: Callable, on_end: Callable[[str, BaseException | None], None],
                 on_stopped: Callable[[], None] | None = None):
        self.coordinator = coordinator
        self.stop_requested = threading.Event()
        self.finished = threading.Event()
        self.settled = threading.Event()
        self.error: BaseException | None = None
        self.outcome = "running"
        self._stream, self._on_end, self._on_stopped = stream, on_end, on_stopped
        self.sampler = threading.Thread(target=self._sample, name="exmc-dashboard-sampler", daemon=True)
        self.flusher = threading.Thread(
            target=coordinator.run_flusher, args=(self.finished, self.settled, self._settled, self.stop_requested),
            name="exmc-dashboard-flusher", daemon=True,
        )

    def start(self) -> "SamplerRun":
        self.flusher.start()
        self.sampler.start()
        return self

    def _sample(self) -> None:
        try:
            # No x64 context here: sample_stream enters it where it computes (decision 5), and
            # an outer one would change the trace context of its other jitted calls, so
            # that a model exmc.sample had compiled compiled again (3 s measured).
            stream = self._stream()
            try:
                for batch in stream:
                    self.coordinator.add(batch)
                    if self.stop_requested.is_set():
                        self._stopped()
                        break
            finally:
                stream.close()
            self.outcome = "stopped" if self.stop_requested.is_set() else "complete"
        except BaseException as error:  # shown in the header, kept on the dashboard
            self.error, self.outcome = error, "error"
        finally:
            self.finished.set()
            self.coordinator.wake.set()

    def _stopped(self) -> None:
        """A user's Stop has ended the run: said at once, from this thread (a flush in
        progress, up to half a second on a big model, would otherwise hold it back)."""
        if self._on_stopped is not None:
            try:
                self._on_stopped()
            except Exception as error:  # the run still ends; the header shows the failure
                self.coordinator.failure = error

    def _settled(self) -> None:
        self._on_end(self.outcome, self.error)

    def stop(self) -> None:
        self.stop_requested.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended and its last flush is sent; False on timeout."""
        return self.settled.wait(timeout)
