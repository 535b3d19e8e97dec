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
from exmc.sampler.integrator import LowRank, hamiltonian, leapfrog, momentum, start

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


class WelfordCov(NamedTuple):
    """Welford's running mean and co-moment matrix (``m2`` is dim x dim)."""

    n: jax.Array
    mean: jax.Array
    m2: jax.Array


def welford_cov_init(dim: int, dtype) -> WelfordCov:
    return WelfordCov(jnp.zeros((), dtype), jnp.zeros(dim, dtype), jnp.zeros((dim, dim), dtype))


def welford_cov_update(s: WelfordCov, x) -> WelfordCov:
    n = s.n + 1.0
    delta = x - s.mean
    mean = s.mean + delta / n
    return WelfordCov(n, mean, s.m2 + jnp.outer(delta, x - mean))


def diagonal(s: WelfordCov) -> Welford:
    """The variances' accumulator inside a covariance accumulator."""
    return Welford(s.n, s.mean, jnp.diagonal(s.m2))


def _from_covariance(cov) -> LowRank:
    """A dense M^-1 in the integrator's form: marginal scales s and the eigendecomposition
    of the correlation matrix (better conditioned than the covariance when scales differ by
    orders of magnitude)."""
    s = jnp.sqrt(jnp.diagonal(cov))
    lam, u = jnp.linalg.eigh(cov / jnp.outer(s, s))
    return LowRank(s, u, jnp.maximum(lam, 1e-10))


def dense_metric(s: WelfordCov) -> LowRank:
    """Stan's ``dense_e``: the window's covariance shrunk towards 1e-3 I with the weight of
    5 draws, (n / (n + 5)) Sigma + 1e-3 (5 / (n + 5)) I."""
    dim = s.mean.shape[0]
    cov = s.m2 / jnp.maximum(s.n - 1.0, 1.0)
    cov = (s.n / (s.n + 5.0)) * cov + 1e-3 * (5.0 / (s.n + 5.0)) * jnp.eye(dim, dtype=cov.dtype)
    return _from_covariance(cov)


def _sqrtm(a, xp=jnp):
    """Square root and inverse square root of a symmetric positive definite matrix (``xp``:
    jax.numpy in the compiled chunk, numpy on the host)."""
    lam, v = xp.linalg.eigh(a)
    lam = xp.maximum(lam, 1e-12)
    inv_root = jax.lax.rsqrt(lam) if xp is jnp else 1.0 / np.sqrt(lam)
    return (v * xp.sqrt(lam)) @ v.T, (v * inv_root) @ v.T


def spd_mean(a, b, xp=jnp):
    """The geometric mean of a and b^-1: the symmetric positive definite X with
    X b X = a (Seyboldt et al. 2024: the affine preconditioner that minimises the Fisher
    divergence of a Gaussian approximation, given the covariance ``a`` of the draws and
    ``b`` of the gradients; X = a = b^-1 for a Gaussian)."""
    b_half, b_half_inv = _sqrtm(b, xp)
    middle, _ = _sqrtm(b_half @ a @ b_half, xp)
    return b_half_inv @ middle @ b_half_inv


# Eigenvalues of the scaled covariance within [1/c, c] are left to the diagonal (nutpie's
# eigenvalue cutoff): they would only add noise from a few dozen draws.
EIG_CUTOFF = 2.0


def low_rank_metric(draws: WelfordCov, grads: WelfordCov, s, rank: int, cutoff: float = EIG_CUTOFF) -> LowRank:
    """nutpie's low-rank modified mass matrix (Seyboldt et al. 2024), from the co-moments of
    the draws and of the gradients.

    In the space scaled by the diagonal ``s`` (nutpie's sqrt(var x / var grad)), the
    covariances of the draws and of the gradients are shrunk towards I with Stan's weight of
    5 draws (a direction the draws span but the gradients do not would otherwise get an
    unbounded eigenvalue), their SPD mean is taken, and its ``rank`` eigenvalues farthest
    from 1 (in log) are kept, those within [1/cutoff, cutoff] set to 1. With few draws the
    scaled covariances are near I outside the draws' span, and so is the mean: nutpie's
    restriction to the span of the draws and gradients, without forming it.
    """
    dim = s.shape[0]
    eye = jnp.eye(dim, dtype=s.dtype)
    n = draws.n
    weight = n / (n + 5.0)
    cov_x = draws.m2 / jnp.maximum(n, 1.0) / jnp.outer(s, s)
    cov_g = grads.m2 / jnp.maximum(n, 1.0) * jnp.outer(s, s)
    mean = spd_mean(weight * cov_x + (1.0 - weight) * eye, weight * cov_g + (1.0 - weight) * eye)
    lam, v = jnp.linalg.eigh(0.5 * (mean + mean.T))
    lam = jnp.maximum(lam, 1e-10)
    far = jnp.abs(jnp.log(lam))
    order = jnp.argsort(-far)[:rank]
    lam, v, far = lam[order], v[:, order], far[order]
    lam = jnp.where(far > jnp.log(cutoff), lam, 1.0)
    ok = jnp.all(jnp.isfinite(lam)) & jnp.all(jnp.isfinite(v))
    return LowRank(s, jnp.where(ok, v, 0.0), jnp.where(ok, lam, 1.0))


def whitening(qs, gs) -> tuple[float, np.ndarray | None]:
    """How far nutpie's diagonal metric leaves a posterior from round, and what rounds it.

    The condition number (largest over smallest eigenvalue) of the covariance that
    ``low_rank_metric`` estimates (the SPD mean of the draws' covariance and the inverse of the
    gradients', Seyboldt et al.) in the space scaled by that diagonal (regularised towards it
    as ``low_rank_metric`` is), from draws ``qs`` and their gradients ``gs``, each (chains, n,
    dim), each chain centred on its own mean. On a Gaussian it is the condition number of the
    posterior's correlation as the diagonal metric sees it, so roughly the square of how many
    times longer the diagonal's trajectories must be than a full-rank metric's. With it, a
    square root L of that covariance scaled back to the draws' units (L L^T = the covariance):
    q = L z makes z about round. (inf, None) where the draws or gradients have not varied.
    Host arithmetic (numpy, float64): "auto" calls it once, between chunks (decisions 81, 83)."""
    qs, gs = np.asarray(qs, np.float64), np.asarray(gs, np.float64)
    x = qs - qs.mean(axis=1, keepdims=True)
    g = gs - gs.mean(axis=1, keepdims=True)
    n = x.shape[0] * x.shape[1]
    cov_x = np.einsum("cni,cnj->ij", x, x) / n
    cov_g = np.einsum("cni,cnj->ij", g, g) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (np.diag(cov_x) / np.diag(cov_g)) ** 0.25  # the square root of nutpie's diagonal
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        return float("inf"), None
    eye, weight = np.eye(len(s)), n / (n + 5.0)
    a = weight * cov_x / np.outer(s, s) + (1.0 - weight) * eye
    b = weight * cov_g * np.outer(s, s) + (1.0 - weight) * eye
    mean = spd_mean(a, b, np)
    mean = 0.5 * (mean + mean.T)
    lam, v = np.linalg.eigh(mean)
    condition = float(lam[-1] / max(lam[0], 1e-300))
    if not (np.isfinite(condition) and lam[0] > 0):
        return condition, None
    root = s[:, None] * (v * np.sqrt(lam))  # S V sqrt(lam): root root^T is the covariance
    return condition, root if np.all(np.isfinite(root)) else None


def unit_low_rank(dim: int, rank: int, dtype) -> LowRank:
    """M^-1 = I in the low-rank form (every eigenvalue 1)."""
    return LowRank(jnp.ones(dim, dtype), jnp.eye(dim, rank, dtype=dtype), jnp.ones(rank, dtype))


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
        p = momentum(inv_mass, rng.normal(seed, counter, q.shape, q.dtype))
        z = start(q, p, logp, grad, inv_mass)
        h = hamiltonian(leapfrog(logp_and_grad, z, eps, inv_mass))
        h = jnp.where(jnp.isnan(h), jnp.inf, h)
        return hamiltonian(z) - h

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
    """The chunk's schedule argument for ``metric`` (a kind from ``chunk.resolve``: "stan"
    and "dense" take Stan's windows, "nutpie" and "lowrank" nutpie's) and ``tune``."""
    if metric in ("nutpie", "lowrank"):
        return nutpie_schedule_array(nutpie_schedule(tune))
    return schedule_array(warmup_schedule(tune))
