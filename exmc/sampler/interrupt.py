"""Ctrl-C under ``exmc.sample``: the first press stops the run at the next chunk boundary;
no later press can lose the draws already made (decision 39).

Python turns SIGINT into a ``KeyboardInterrupt`` raised wherever the main thread happens to
be. A second one, arriving while the first is being handled (waiting for the chunks in
flight, copying the last batch, assembling the trace, running the checks), used to unwind
``exmc.sample`` and lose every draw. While ``exmc.sample`` runs, ``Guard`` replaces Python's
handler (only its default one, only on the main thread) by one that raises nothing while
draws are at stake: it records the request, and the driver ends the stream after the batch
in flight (``stopping()``). Per stage:

- ``compiling`` (nothing drawn yet): the first press asks the run to stop once the current
  compilation returns, and nothing more is compiled or run after it (no initial points, no
  chunk, no draw function). A plain KeyboardInterrupt raised while JAX compiles leaves the
  process to crash at exit (issue 10 saw a segmentation fault at exit after Ctrl-C during
  compilation, as with JAX alone); so a single press waits for the compiler. A second press raises
  KeyboardInterrupt at once, for a user who would rather abort: there are no draws to lose.
- ``sampling``: every press only asks the run to stop; the chunks in flight finish (within a
  batch's time, about 0.25 s) and their draws are kept.
- ``assembling``: presses are ignored until the trace is built.
- ``checking``: a press raises KeyboardInterrupt inside the post-sampling checks; ``exmc.sample``
  skips the rest of the checks and returns the trace.
"""

from __future__ import annotations

import signal
import sys
import threading

STAGES = ("compiling", "sampling", "assembling", "checking")

_active: "Guard | None" = None  # the guard of the exmc.sample running on the main thread


def stopping() -> bool:
    """Whether the ``exmc.sample`` running on this thread was asked to stop (Ctrl-C)."""
    guard = _active
    return guard is not None and guard.stop_requested and threading.current_thread() is threading.main_thread()


class Guard:
    """Context manager installing the handler for the duration of one ``exmc.sample``."""

    def __init__(self, stream=None):
        self.stage = "compiling"
        self.presses = 0
        self.stop_requested = False
        self.installed = False
        self.previous = None
        self.stream = stream if stream is not None else sys.stderr

    def __enter__(self) -> "Guard":
        global _active
        if (threading.current_thread() is threading.main_thread() and _active is None
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self.previous = signal.signal(signal.SIGINT, self._handle)
            self.installed = True
            _active = self
        return self

    def __exit__(self, *exc) -> None:
        global _active
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)
            _active = None
            self.installed = False

    def enter(self, stage: str) -> None:
        assert stage in STAGES, stage
        self.stage = stage

    def _say(self, text: str) -> None:
        try:
            self.stream.write(f"\nexmc: {text}\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed stream must not turn an interrupt into an error
            pass

    def _handle(self, signum, frame) -> None:
        self.presses += 1
        if self.stage == "checking":
            raise KeyboardInterrupt
        if self.stage == "compiling" and self.presses >= 2:
            raise KeyboardInterrupt
        first = not self.stop_requested
        self.stop_requested = True
        if self.stage == "compiling" and first:
            self._say("interrupted while compiling: stopping when the compiler returns "
                      "(press Ctrl-C again to abort at once; nothing has been drawn yet)")
        elif self.stage == "sampling" and first:
            self._say("interrupted: stopping after the chunk in progress; every draw made is kept")
        elif not first:
            self._say("already stopping; the draws made so far are being kept")
