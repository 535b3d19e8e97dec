"""Warmup: dual averaging of the step size, Welford variance for the diagonal metric,
Stan's step-size heuristic and Stan's three-phase window schedule.

Each piece is an (init, update, final) set of pure functions on a NamedTuple, so the
driver can run them inside its compiled loop.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from exmc.sampler import rng
from exmc.sampler.integrator import Point, hamiltonian, leapfrog

# Stan's defaults (Hoffman & Gelman 2014, section 3.2).
GAMMA, T0, KAPPA = 0.05, 10.0, 0.75


class DualAveraging(NamedTuple):
    log_step: jax.Array
    log_step_bar: jax.Array
    h_bar: jax.Array
    count: jax.Array
    mu: jax.Array


def da_init(step_size) -> DualAveraging:
    zero = jnp.zeros_like(step_size)
    return DualAveraging(jnp.log(step_size), zero, zero, zero, jnp.log(10.0 * step_size))


def da_update(s: DualAveraging, accept_prob, target) -> DualAveraging:
    count = s.count + 1.0
    eta = 1.0 / (count + T0)
    h_bar = (1.0 - eta) * s.h_bar + eta * (target - accept_prob)
    log_step = s.mu - jnp.sqrt(count) / GAMMA * h_bar
    weight = count ** (-KAPPA)
    log_step_bar = weight * log_step + (1.0 - weight) * s.log_step_bar
    return DualAveraging(log_step, log_step_bar, h_bar, count, s.mu)


class Welford(NamedTuple):
    n: jax.Array
    mean: jax.Array
    m2: jax.Array


def welford_init(dim: int, dtype) -> Welford:
    return Welford(jnp.zeros((), dtype), jnp.zeros(dim, dtype), jnp.zeros(dim, dtype))


def welford_update(s: Welford, x) -> Welford:
    n = s.n + 1.0
    delta = x - s.mean
    mean = s.mean + delta / n
    return Welford(n, mean, s.m2 + delta * (x - mean))


def welford_metric(s: Welford):
    """Stan's regularised variance: shrunk towards 1e-3 with the weight of 5 draws."""
    var = s.m2 / jnp.maximum(s.n - 1.0, 1.0)
    return (s.n / (s.n + 5.0)) * var + 1e-3 * (5.0 / (s.n + 5.0))


def find_step_size(seed, q, logp, grad, logp_and_grad: Callable, step_size, inv_mass, max_iter: int = 100):
    """Stan's heuristic: double or halve until one leapfrog step's acceptance crosses 0.8.

    The first trial fixes the direction; each later one draws a fresh momentum (trial t's
    from the ``rng.SEARCH`` counters of ``seed``). One leapfrog call site, so the model is
    compiled into this loop once.
    """
    log_target = jnp.log(0.8)

    def delta_h(trial, eps):
        counter = jnp.uint64(rng.SEARCH) + trial.astype(jnp.uint64) * jnp.uint64(1 << 32)
        p = rng.normal(seed, counter, q.shape, q.dtype) / jnp.sqrt(inv_mass)
        z = Point(q, p, logp, grad)
        h = hamiltonian(leapfrog(logp_and_grad, z, eps, inv_mass), inv_mass)
        h = jnp.where(jnp.isnan(h), jnp.inf, h)
        return hamiltonian(z, inv_mass) - h

    def cond(c):
        i, eps, up, stop = c
        return ~stop & (i < max_iter)

    def body(c):
        i, eps, up, _ = c
        d = delta_h(i, eps)
        first = i == 0
        up = jnp.where(first, d > log_target, up)
        stop = ~first & jnp.where(up, ~(d > log_target), ~(d < log_target))
        eps = jnp.where(first | stop, eps, jnp.where(up, 2.0 * eps, 0.5 * eps))
        return i + 1, eps, up, stop

    _, eps, _, _ = lax.while_loop(cond, body, (jnp.int32(0), step_size, jnp.bool_(False), jnp.bool_(False)))
    return eps


class Schedule(NamedTuple):
    """Stan's warmup windows for ``tune`` iterations.

    Iterations [0, init_buffer) adapt the step size only; [init_buffer, slow_end) also
    collect draws for the metric in windows ending (inclusive) at ``window_ends``;
    [slow_end, tune) adapt the step size with the final metric.
    """

    tune: int
    init_buffer: int
    slow_end: int
    window_ends: tuple[int, ...]


def warmup_schedule(tune: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25) -> Schedule:
    if tune < 20:
        return Schedule(tune, tune, tune, ())
    if init_buffer + base_window + term_buffer > tune:
        init_buffer = int(0.15 * tune)
        term_buffer = int(0.1 * tune)
        base_window = tune - (init_buffer + term_buffer)
    slow_end = tune - term_buffer
    ends, start, size = [], init_buffer, base_window
    while True:
        end = start + size
        if end + 2 * size > slow_end:
            end = slow_end
        ends.append(end - 1)
        if end >= slow_end:
            break
        start, size = end, 2 * size
    return Schedule(tune, init_buffer, slow_end, tuple(ends))


MAX_WINDOWS = 32


def schedule_array(schedule: Schedule) -> np.ndarray:
    """The schedule as one fixed-size int array, so new lengths do not recompile."""
    if len(schedule.window_ends) > MAX_WINDOWS - 3:
        raise ValueError("too many warmup windows")
    ends = list(schedule.window_ends) + [-1] * (MAX_WINDOWS - 3 - len(schedule.window_ends))
    return np.array([schedule.tune, schedule.init_buffer, schedule.slow_end, *ends], dtype=np.int32)


def welford_variance(s: Welford):
    """Plain running variance (m2 / n)."""
    return s.m2 / jnp.maximum(s.n, 1.0)


def gradient_metric(draws: Welford, grads: Welford, previous):
    """nutpie's diagonal: sqrt(var(draws) / var(grads)), exact for any Gaussian's diagonal
    (var x = s^2, var grad = 1 / s^2), clipped as nutpie does. A component whose draws or
    gradients have not varied yet (early rejections) keeps its ``previous`` value: 0 / 0
    there would hand the integrator a NaN metric."""
    var_draws, var_grads = welford_variance(draws), welford_variance(grads)
    estimate = jnp.clip(jnp.sqrt(var_draws / var_grads), 1e-20, 1e20)
    usable = (var_draws > 0) & (var_grads > 0) & jnp.isfinite(estimate)
    return jnp.where(usable, estimate, previous)


class NutpieSchedule(NamedTuple):
    """nutpie's warmup: metric switches every 10 draws in the first 30 %, every 80 later;
    the last 15 % adapt the step size only."""

    tune: int
    early_end: int
    final_start: int


def nutpie_schedule(tune: int) -> NutpieSchedule:
    return NutpieSchedule(tune, int(0.3 * tune), tune - int(0.15 * tune))


def nutpie_schedule_array(schedule: NutpieSchedule) -> np.ndarray:
    """Same fixed size as ``schedule_array`` so both metrics share the chunk's signature."""
    return np.array([schedule.tune, schedule.early_end, schedule.final_start] + [-1] * (MAX_WINDOWS - 3), dtype=np.int32)


def schedule_for(metric: str, tune: int) -> np.ndarray:
    """The chunk's schedule argument for ``metric`` ("stan" or "nutpie") and ``tune``."""
    if metric == "nutpie":
        return nutpie_schedule_array(nutpie_schedule(tune))
    return schedule_array(warmup_schedule(tune))
