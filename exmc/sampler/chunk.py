"""One compiled chunk: many NUTS iterations of one chain, with the warmup inside.

``make_chunk(logp_and_grad, dim, length, max_treedepth)`` returns a function
``run(chain_seed, carry, n, schedule, target_accept) -> (carry, out)`` that performs
``n <= length`` iterations (n is traced: any chunk size reuses one compilation) and writes
each one's position and statistics into buffers of ``length`` rows.

The iteration's seed is ``rng.mix(chain_seed, iteration)`` (a uint64), so draws do not
depend on how iterations are cut into chunks, nor on how many threads run the chains.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from exmc.sampler import adapt, rng
from exmc.sampler.integrator import LowRank
from exmc.sampler.nuts import State, nuts_step

STAT_NAMES = ("diverging", "energy", "step_size", "tree_depth", "n_steps", "lp", "accept_prob")

# nutpie's metric switches: every EARLY_SWITCH draws in the early window, LATE_SWITCH after
EARLY_SWITCH, LATE_SWITCH = 10, 80
# The low-rank metric's foreground holds at most two windows of draws when it is refitted
# (the background it took over at the last switch, and the draws since). Below full rank its
# draws and gradients are kept as rows, not as d x d co-moments fed every draw; of full rank
# (every "auto" model that gets it) the co-moments are small, and compile quicker (decision 75)
WINDOW_ROWS = 2 * LATE_SWITCH + 8


class Window(NamedTuple):
    """The low-rank warmup's last WINDOW_ROWS draws and gradients (row (it + 1) % rows),
    each row stamped with its iteration (-1: the initial point); no rows for other metrics."""

    xs: jax.Array
    gs: jax.Array
    stamp: jax.Array


def window_init(dim: int, dtype, rows: int) -> Window:
    return Window(jnp.zeros((rows, dim), dtype), jnp.zeros((rows, dim), dtype), jnp.full((rows,), -(2**30), jnp.int32))


def window_record(w: Window, it, x, g) -> Window:
    row = (it + 1) % w.stamp.shape[0]
    return Window(w.xs.at[row].set(x), w.gs.at[row].set(g), w.stamp.at[row].set(it))


def window_stats(w: Window, it, n) -> tuple[adapt.WelfordCov, adapt.WelfordCov]:
    """The mean and co-moments of the draws and of the gradients of iterations it - n + 1 .. it:
    what Welford's accumulators over the same draws hold, computed once, at a refit."""
    first = it - n.astype(it.dtype) + 1  # n: Welford's count of the same draws (a float)
    mask = ((w.stamp >= first) & (w.stamp <= it)).astype(w.xs.dtype)[:, None]
    count = jnp.sum(mask)

    def stats(x):
        mean = jnp.sum(mask * x, axis=0) / jnp.maximum(count, 1.0)
        centred = (x - mean) * mask
        return adapt.WelfordCov(count, mean, centred.T @ centred)

    return stats(w.xs), stats(w.gs)


class Carry(NamedTuple):
    state: State
    step_size: jax.Array
    inv_mass: jax.Array
    da: adapt.DualAveraging
    welford: adapt.Welford       # draws (Stan), or foreground draws (nutpie)
    grads: adapt.Welford         # nutpie: foreground gradients
    background: tuple            # nutpie: background (draws, gradients)
    metric_changed: jax.Array    # nutpie: the metric has moved from its initial guess
    search: jax.Array            # re-find the step size before the next transition
    iteration: jax.Array
    fresh: jax.Array             # only ``state.q`` is set: the chunk initialises the rest first
    low_rank_set: jax.Array      # low-rank: the eigenvectors have been estimated once
    window: Window               # low-rank: the foreground's draws and gradients
    affine: jax.Array            # "auto", 2-40 parameters: L, the chain moves z, q = L z (decision 83); else (0, 0)

METRICS = ("auto", "stan", "nutpie", "dense", "lowrank")

# "auto" starts every model on nutpie's diagonal. From 2 up to FULL_RANK_DIM parameters the
# driver looks at the warmup's first draws and gradients at iteration ``auto_decision(tune)``
# (adapt.whitening) and, where the diagonal leaves them correlated or mis-scaled, whitens the
# chains with the covariance they show (``whiten``): the same chunk goes on, nutpie's diagonal
# on top of the map q = L z, a full-rank metric L diag L^T (decisions 81, 83). Above
# FULL_RANK_DIM the estimate never paid for itself on the benchmark's models (decision 76).
# "lowrank" keeps LOW_RANK.
FULL_RANK_DIM, LOW_RANK = 40, 16
AUTO_DECIDE_AT = 50                 # the warmup iteration at which "auto" chooses
AUTO_CONDITION = 8.0                # ... to whiten from this condition number on


def resolve(metric: str, dim: int) -> tuple[str, int]:
    """The compiled form of ``metric`` for a model of ``dim`` parameters: (kind, rank).

    kind is "stan" or "nutpie" (diagonal, rank 0), "dense" (Stan's windows, rank dim) or
    "lowrank" (nutpie's windows, rank <= dim). "auto" is nutpie's diagonal (``auto_staged``
    says whether it may whiten the chains, decision 83)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "auto":
        return "nutpie", 0
    if metric == "dense":
        return "dense", dim
    if metric == "lowrank":
        return "lowrank", min(dim, LOW_RANK)
    return metric, 0


def auto_staged(metric: str, dim: int) -> bool:
    """Whether ``metric`` is "auto" on a model where warmup may whiten the chains (full rank)."""
    return metric == "auto" and 2 <= dim <= FULL_RANK_DIM


def auto_decision(tune: int) -> int | None:
    """The warmup iteration after which "auto" chooses (it looks at the draws and gradients of
    the second half of the iterations before it), or None when warmup is too short to choose:
    at least 20 iterations before it, and, after it, two of the early window's refits (every
    EARLY_SWITCH draws until 30 % of ``tune``), the late window's being 80 draws apart."""
    at = min(AUTO_DECIDE_AT, int(0.3 * tune) - 2 * EARLY_SWITCH)
    return at if at >= 20 else None


def whiten(c: "Carry", chol: np.ndarray) -> "Carry":
    """A staged "auto" carry (host arrays) moved to the coordinates z with q = chol z (``chol``
    any square root of the covariance to whiten, ``adapt.whitening``'s; decision 83): the
    chain's point and gradient mapped (the log-density is the same), the diagonal metric back
    to 1 with empty accumulators (it goes on adapting nutpie's diagonal, now of z), the step
    size re-found before the next transition and again when that diagonal first moves. numpy:
    eager jax operations would each compile."""
    dtype = c.state.q.dtype
    chol = np.asarray(chol, np.float64)
    old = np.asarray(c.affine, np.float64)
    q = old @ np.asarray(c.state.q, np.float64)
    grad_q = np.linalg.solve(old.T, np.asarray(c.state.grad, np.float64))
    z, grad_z = np.linalg.solve(chol, q), chol.T @ grad_q
    dim = len(q)
    empty = adapt.Welford(np.zeros((), dtype), np.zeros(dim, dtype), np.zeros(dim, dtype))
    return c._replace(
        state=c.state._replace(q=z.astype(dtype), grad=grad_z.astype(dtype)), inv_mass=np.ones(dim, dtype),
        welford=empty, grads=empty, background=(empty, empty), metric_changed=np.bool_(False),
        search=np.bool_(True), affine=chol.astype(dtype),
    )


def whitened(logp_and_grad: Callable, chol) -> Callable:
    """The log-density of z with q = chol z, and its gradient chol^T grad (decision 83)."""

    def mapped(z):
        logp, grad = logp_and_grad(chol @ z)
        return logp, chol.T @ grad

    return mapped


def make_init(logp_and_grad: Callable, metric: str = "stan", rank: int = 0, affine: bool = False):
    """``init(q0) -> Carry``: logp and gradient at q0 and the initial metric
    (unit for Stan; 1 / |gradient| for nutpie). The first step size is found by the chunk,
    before its first transition (``search``), so Stan's heuristic is compiled once, there.
    ``metric`` is a kind from ``resolve``; ``affine``: the carry holds the map q = L z, the
    identity to begin with (decision 83)."""

    def init(q0):
        logp, grad = logp_and_grad(q0)
        dim, dtype = q0.shape[0], q0.dtype
        empty = adapt.welford_init(dim, dtype)
        window = window_init(dim, dtype, 0)
        if metric in ("nutpie", "lowrank"):
            scale = jnp.clip(1.0 / jnp.abs(grad), 1e-20, 1e20)
            inv_mass = scale
            draws, grads = adapt.welford_update(empty, q0), adapt.welford_update(empty, grad)
            if metric == "lowrank":
                inv_mass = adapt.unit_low_rank(dim, rank, dtype)._replace(s=jnp.sqrt(scale))
                if rank < dim:  # below full rank the foreground is kept as rows
                    window = window_record(window_init(dim, dtype, WINDOW_ROWS), jnp.int32(-1), q0, grad)
                else:
                    empty = adapt.welford_cov_init(dim, dtype)
                    draws, grads = adapt.welford_cov_update(empty, q0), adapt.welford_cov_update(empty, grad)
        elif metric == "dense":
            inv_mass = adapt.unit_low_rank(dim, rank, dtype)
            draws, grads = adapt.welford_cov_init(dim, dtype), empty
        else:
            inv_mass = jnp.ones_like(q0)
            draws, grads = empty, empty
        step = jnp.ones((), dtype)
        background = (draws, grads) if metric != "dense" else (empty, empty)
        chol = jnp.eye(dim, dtype=dtype) if affine else jnp.zeros((0, 0), dtype)
        return Carry(
            State(q0, logp, grad), step, inv_mass, adapt.da_init(step),
            draws, grads, background, jnp.bool_(False), jnp.bool_(True), jnp.int32(0), jnp.bool_(False), jnp.bool_(False),
            window, chol,
        )

    return init


def fresh_carry(template, q0):
    """A carry of ``template``'s structure (from ``jax.eval_shape`` of ``init``) holding only
    the starting point: the chunk initialises it (``init``) before anything else, so a chain
    needs no separately compiled ``init`` (decision 35)."""
    carry = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), template)
    return carry._replace(state=carry.state._replace(q=np.asarray(q0, carry.state.q.dtype)), fresh=np.bool_(True))


def make_chunk(logp_and_grad: Callable, dim: int, length: int, max_treedepth: int, metric: str = "stan",
               rank: int = 0, affine: bool = False):
    """``metric`` and ``rank`` as ``resolve`` returns them. ``affine`` (staged "auto"): the
    chain moves z with q = L z, L in its carry (the identity until the driver whitens it), the
    output's "q" is L z, and the output also holds each iteration's gradient ("grad", of z),
    which "auto" looks at (decisions 81, 83)."""
    warmups = {"stan": _stan_warmup, "dense": _stan_warmup, "nutpie": _nutpie_warmup, "lowrank": _nutpie_warmup}
    if metric not in warmups:
        raise ValueError(f"metric must be one of {tuple(warmups)}, got {metric!r}")
    warmup_step = warmups[metric]
    init = make_init(logp_and_grad, metric, rank, affine)

    def run(chain_seed, carry: Carry, n, schedule, target_accept):
        carry = lax.cond(carry.fresh, lambda c: init(c.state.q), lambda c: c, carry)
        potential = whitened(logp_and_grad, carry.affine) if affine else logp_and_grad
        dtype = carry.state.q.dtype
        buffers = {
            "q": jnp.zeros((length, dim), dtype),
            "lp": jnp.zeros((length,), dtype),
            "diverging": jnp.zeros((length,), jnp.bool_),
            "energy": jnp.zeros((length,), dtype),
            "step_size": jnp.zeros((length,), dtype),
            "tree_depth": jnp.zeros((length,), jnp.int32),
            "n_steps": jnp.zeros((length,), jnp.int32),
            "accept_prob": jnp.zeros((length,), dtype),
        }
        if affine:
            buffers["grad"] = jnp.zeros((length, dim), dtype)

        def body(t, loop):
            c, out = loop
            it = c.iteration
            seed = rng.mix(chain_seed, it)
            # Stan's heuristic, at the start and after each metric change, from the current point
            step, da = lax.cond(
                c.search,
                lambda: _search(seed, c, potential),
                lambda: (c.step_size, c.da),
            )
            c = c._replace(step_size=step, da=da, search=jnp.bool_(False))
            state, info = nuts_step(seed, c.state, potential, c.step_size, c.inv_mass, max_treedepth)
            row = {
                "q": c.affine @ state.q if affine else state.q, "lp": state.logp, "diverging": info.diverging,
                "energy": info.energy,
                "step_size": c.step_size, "tree_depth": info.tree_depth, "n_steps": info.n_steps,
                "accept_prob": info.accept_prob,
            }
            if affine:
                row["grad"] = state.grad
            out = {k: out[k].at[t].set(v) for k, v in row.items()}

            # a branch, not a select of every field: sampling iterations skip the adaptation
            c = lax.cond(
                it < schedule[0],
                lambda c: warmup_step(c, info, it, schedule, target_accept),
                lambda c: c,
                c._replace(state=state),
            )
            return c._replace(iteration=it + 1), out

        return lax.fori_loop(0, n, body, (carry, buffers))

    return run


def _search(seed, c: Carry, logp_and_grad):
    s = c.state
    step = adapt.find_step_size(seed, s.q, s.logp, s.grad, logp_and_grad, c.step_size, c.inv_mass)
    return step, adapt.da_init(step)


def _where(flag, new, old):
    return jax.tree.map(lambda a, b: jnp.where(flag, a, b), new, old)


def _stan_warmup(c: Carry, info, it, schedule, target_accept) -> Carry:
    """Stan's order: step size, then the metric's window, then the window's end."""
    tune, init_buffer, slow_end, window_ends = schedule[0], schedule[1], schedule[2], schedule[3:]
    dim, dtype = c.state.q.shape[0], c.state.q.dtype
    da = adapt.da_update(c.da, _adaptation_statistic(info), target_accept)
    step = jnp.exp(da.log_step)
    collect = (it >= init_buffer) & (it < slow_end)
    window_end = jnp.any(window_ends == it)
    if isinstance(c.inv_mass, LowRank):  # dense: its eigendecomposition only at a window's end
        welford = lax.cond(collect, adapt.welford_cov_update, lambda w, _: w, c.welford, c.state.q)
        inv_mass = lax.cond(window_end, adapt.dense_metric, lambda _: c.inv_mass, welford)
        welford = _where(window_end, adapt.welford_cov_init(dim, dtype), welford)
    else:
        welford = _where(collect, adapt.welford_update(c.welford, c.state.q), c.welford)
        inv_mass = jnp.where(window_end, adapt.welford_metric(welford), c.inv_mass)
        welford = _where(window_end, adapt.welford_init(dim, dtype), welford)
    step = jnp.where(it == tune - 1, jnp.exp(da.log_step_bar), step)
    return c._replace(step_size=step, inv_mass=inv_mass, da=da, welford=welford, search=window_end)


def _nutpie_warmup(c: Carry, info, it, schedule, target_accept) -> Carry:
    """nutpie's: draws and gradients feed a foreground and a background estimator; the
    background replaces the foreground every 10 (early) or 80 draws; the metric follows the
    foreground every draw; the step size is re-found when the metric first moves.

    The low-rank metric (``c.inv_mass`` a ``LowRank``): its diagonal follows the foreground
    every draw until the first switch; from then on the whole metric (diagonal, eigenvectors,
    eigenvalues) is re-estimated from the foreground, just before it is replaced, at each
    switch, so that the eigenvectors always belong to the scaling they were found in. Below
    full rank the foreground's co-moments are formed then, from the draws and gradients kept
    in ``c.window`` (between refits a draw costs the diagonal's accumulators and one row); of
    full rank they are accumulated every draw."""
    tune, early_end, final_start = schedule[0], schedule[1], schedule[2]
    dim, dtype = c.state.q.shape[0], c.state.q.dtype
    low_rank = isinstance(c.inv_mass, LowRank)
    rows = low_rank and c.window.stamp.shape[0] > 0
    if low_rank and not rows:
        empty, update_stats, diag = adapt.welford_cov_init(dim, dtype), adapt.welford_cov_update, adapt.diagonal
    else:
        empty, update_stats, diag = adapt.welford_init(dim, dtype), adapt.welford_update, lambda w: w
    in_metric = it < final_start
    draws = update_stats(c.welford, c.state.q)
    grads = update_stats(c.grads, c.state.grad)
    bg_draws = update_stats(c.background[0], c.state.q)
    bg_grads = update_stats(c.background[1], c.state.grad)
    switch_every = jnp.where(it < early_end, jnp.int32(EARLY_SWITCH), jnp.int32(LATE_SWITCH))
    switch = (bg_draws.n >= switch_every.astype(dtype)) & (switch_every + it <= final_start)
    update = in_metric & (draws.n >= 3)
    window = c.window
    if low_rank:
        if rows:
            window = window_record(window, it, c.state.q, c.state.grad)
            foreground = lambda: window_stats(window, it, draws.n)  # noqa: E731
        else:
            foreground = lambda: (draws, grads)  # noqa: E731
        previous = c.inv_mass.s**2
        diagonal = adapt.gradient_metric(diag(draws), diag(grads), previous)
        refit = update & switch
        inv_mass = lax.cond(
            refit,
            lambda: adapt.low_rank_metric(*foreground(), jnp.sqrt(diagonal), c.inv_mass.lam.shape[0]),
            lambda: c.inv_mass._replace(s=jnp.where(update & ~c.low_rank_set, jnp.sqrt(diagonal), c.inv_mass.s)),
        )
        low_rank_set = c.low_rank_set | refit
        search = (update & ~c.metric_changed) | (refit & ~c.low_rank_set)
    else:
        inv_mass = jnp.where(update, adapt.gradient_metric(draws, grads, c.inv_mass), c.inv_mass)
        low_rank_set = c.low_rank_set
        search = update & ~c.metric_changed
    draws, grads = _where(switch, (bg_draws, bg_grads), (draws, grads))
    bg_draws, bg_grads = _where(switch, (empty, empty), (bg_draws, bg_grads))
    da = adapt.da_update(c.da, _adaptation_statistic(info), target_accept)
    step = jnp.where(it == tune - 1, jnp.exp(da.log_step_bar), jnp.exp(da.log_step))
    kept = (c.welford, c.grads, c.background)
    draws, grads, background = _where(in_metric, (draws, grads, (bg_draws, bg_grads)), kept)
    search = search | (it == final_start - 1)
    return c._replace(
        step_size=step, inv_mass=inv_mass, da=da, welford=draws, grads=grads, background=background,
        metric_changed=c.metric_changed | update, search=search, low_rank_set=low_rank_set, window=window,
    )


def describe_metric(carries) -> str:
    """What warmup settled on, from the chains' carries: "diagonal", "low-rank (rank r of
    d)" or "dense (d x d)"; r is the most eigen-directions kept by any chain (those whose
    eigenvalue left [1/cutoff, cutoff]); "dense" is a full-rank metric."""
    ranks, dim = [], 0
    for carry in carries:
        metric = carry.inv_mass
        chol = np.asarray(carry.affine)
        if chol.size and not np.array_equal(chol, np.eye(len(chol))):  # whitened (decision 83)
            return f"dense ({len(chol)} x {len(chol)})"
        if not isinstance(metric, LowRank):
            return "diagonal"
        dim = metric.s.shape[0]
        ranks.append(int(np.sum(np.asarray(metric.lam) != 1.0)))
    rank = max(ranks, default=0)
    if rank == 0:
        return "diagonal"
    if rank == dim:
        return f"dense ({dim} x {dim})"
    return f"low-rank (rank {rank} of {dim})"


def _adaptation_statistic(info) -> jax.Array:
    """What dual averaging steers towards ``target_accept``: the transition's mean
    acceptance over its leaves, but 0 for a divergent transition. The mean over leaves
    barely notices a divergence (seven good leaves and the divergent one average 0.79 against
    a target of 0.8), so the step size stayed where the posterior's stiff regions kept
    diverging; counting the divergence as the rejection it is lets each one pull the step
    size down (decision 50)."""
    return jnp.where(info.diverging, jnp.zeros_like(info.accept_prob), info.accept_prob)
