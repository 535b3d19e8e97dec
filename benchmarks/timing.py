"""Timing: JAX's compile time within a block, and one compiled value-and-gradient."""

from __future__ import annotations

import threading
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

# JAX reports each trace to a jaxpr, lowering to MLIR and XLA compilation as a time span.
_COMPILE_EVENTS = frozenset({
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
})
_lock = threading.Lock()
_open: list[list[tuple[float, float]]] = []


def _listener(event: str, start: float, end: float, **_) -> None:
    if event in _COMPILE_EVENTS:
        with _lock:
            for spans in _open:
                spans.append((start, end))


jax.monitoring.register_event_time_span_listener(_listener)


class CompileClock:
    """Wall-clock seconds JAX spends tracing, lowering and compiling inside a ``with`` block.

    Counts the union of the spans JAX reports (``jax.monitoring``) in any thread, so a trace
    nested in another trace, or compilations running side by side, count once.

    Examples
    --------
    ::

        with CompileClock() as clock:
            exmc.sample(ir)
        clock.seconds
    """

    def __enter__(self) -> "CompileClock":
        self._spans: list[tuple[float, float]] = []
        with _lock:
            _open.append(self._spans)
        return self

    def __exit__(self, *exc) -> None:
        with _lock:
            _open.remove(self._spans)

    @property
    def seconds(self) -> float:
        total, reach = 0.0, float("-inf")
        for start, end in sorted(self._spans):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total


def seconds_per_gradient(logp_fn: Callable, x0, target_seconds: float = 0.25, repeats: int = 3) -> float:
    """Seconds for one value-and-gradient of ``logp_fn`` inside a compiled loop.

    The loop runs ``n`` evaluations in one XLA program, each at a point that depends on
    the previous gradient (``x <- x + 1e-12 grad``, as a leapfrog step would), so XLA can
    neither hoist the evaluation out of the loop nor drop it; the values are summed into
    the result for the same reason. ``n`` is chosen so one loop takes about
    ``target_seconds``; the best of ``repeats`` loops, divided by ``n``, is returned.

    Parameters
    ----------
    logp_fn : a pure JAX function from a flat float64 vector to a scalar.
    x0 : the starting point (a typical point of the model, e.g. an initial point).
    target_seconds : about how long one timed loop runs.
    repeats : timed loops; the fastest counts.

    Returns
    -------
    float
        Seconds per value-and-gradient evaluation.
    """
    value_and_grad = jax.value_and_grad(logp_fn)

    @jax.jit
    def loop(x, n):
        def body(_, carry):
            x, total = carry
            value, grad = value_and_grad(x)
            return x + 1e-12 * grad, total + value

        return lax.fori_loop(0, n, body, (x, jnp.zeros((), x.dtype)))

    with jax.enable_x64(True):
        x = jnp.asarray(np.asarray(x0, dtype=np.float64))

        def timed(n: int) -> float:
            start = time.perf_counter()
            jax.block_until_ready(loop(x, np.int32(n)))
            return time.perf_counter() - start

        timed(1)  # compile
        n = 10
        while (elapsed := timed(n)) < 0.02:
            n *= 10
        n = max(1, int(n * target_seconds / elapsed))
        return min(timed(n) for _ in range(repeats)) / n
