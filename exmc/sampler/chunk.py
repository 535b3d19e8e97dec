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
from exmc.sampler.nuts import State, nuts_step

STAT_NAMES = ("diverging", "energy", "step_size", "tree_depth", "n_steps", "lp", "accept_prob")


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

METRICS = ("stan", "nutpie")


def make_init(logp_and_grad: Callable, metric: str = "stan"):
    """``init(q0) -> Carry``: logp and gradient at q0 and the initial metric
    (unit for Stan; 1 / |gradient| for nutpie). The first step size is found by the chunk,
    before its first transition (``search``), so Stan's heuristic is compiled once, there."""

    def init(q0):
        logp, grad = logp_and_grad(q0)
        dim, dtype = q0.shape[0], q0.dtype
        empty = adapt.welford_init(dim, dtype)
        if metric == "nutpie":
            inv_mass = jnp.clip(1.0 / jnp.abs(grad), 1e-20, 1e20)
            draws, grads = adapt.welford_update(empty, q0), adapt.welford_update(empty, grad)
        else:
            inv_mass = jnp.ones_like(q0)
            draws, grads = empty, empty
        step = jnp.ones((), dtype)
        return Carry(
            State(q0, logp, grad), step, inv_mass, adapt.da_init(step),
            draws, grads, (draws, grads), jnp.bool_(False), jnp.bool_(True), jnp.int32(0), jnp.bool_(False),
        )

    return init


def fresh_carry(template, q0):
    """A carry of ``template``'s structure (from ``jax.eval_shape`` of ``init``) holding only
    the starting point: the chunk initialises it (``init``) before anything else, so a chain
    needs no separately compiled ``init`` (decision 35)."""
    carry = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), template)
    return carry._replace(state=carry.state._replace(q=np.asarray(q0, carry.state.q.dtype)), fresh=np.bool_(True))


def make_chunk(logp_and_grad: Callable, dim: int, length: int, max_treedepth: int, metric: str = "stan"):
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    warmup_step = _stan_warmup if metric == "stan" else _nutpie_warmup
    init = make_init(logp_and_grad, metric)

    def run(chain_seed, carry: Carry, n, schedule, target_accept):
        carry = lax.cond(carry.fresh, lambda c: init(c.state.q), lambda c: c, carry)
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

        def body(t, loop):
            c, out = loop
            it = c.iteration
            seed = rng.mix(chain_seed, it)
            # Stan's heuristic, at the start and after each metric change, from the current point
            step, da = lax.cond(
                c.search,
                lambda: _search(seed, c, logp_and_grad),
                lambda: (c.step_size, c.da),
            )
            c = c._replace(step_size=step, da=da, search=jnp.bool_(False))
            state, info = nuts_step(seed, c.state, logp_and_grad, c.step_size, c.inv_mass, max_treedepth)
            row = {
                "q": state.q, "lp": state.logp, "diverging": info.diverging, "energy": info.energy,
                "step_size": c.step_size, "tree_depth": info.tree_depth, "n_steps": info.n_steps,
                "accept_prob": info.accept_prob,
            }
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
    da = adapt.da_update(c.da, info.accept_prob, target_accept)
    step = jnp.exp(da.log_step)
    collect = (it >= init_buffer) & (it < slow_end)
    welford = _where(collect, adapt.welford_update(c.welford, c.state.q), c.welford)
    window_end = jnp.any(window_ends == it)
    inv_mass = jnp.where(window_end, adapt.welford_metric(welford), c.inv_mass)
    welford = _where(window_end, adapt.welford_init(dim, dtype), welford)
    step = jnp.where(it == tune - 1, jnp.exp(da.log_step_bar), step)
    return c._replace(step_size=step, inv_mass=inv_mass, da=da, welford=welford, search=window_end)


def _nutpie_warmup(c: Carry, info, it, schedule, target_accept) -> Carry:
    """nutpie's: draws and gradients feed a foreground and a background estimator; the
    background replaces the foreground every 10 (early) or 80 draws; the metric follows the
    foreground every draw; the step size is re-found when the metric first moves."""
    tune, early_end, final_start = schedule[0], schedule[1], schedule[2]
    dim, dtype = c.state.q.shape[0], c.state.q.dtype
    empty = adapt.welford_init(dim, dtype)
    in_metric = it < final_start
    draws = adapt.welford_update(c.welford, c.state.q)
    grads = adapt.welford_update(c.grads, c.state.grad)
    bg_draws = adapt.welford_update(c.background[0], c.state.q)
    bg_grads = adapt.welford_update(c.background[1], c.state.grad)
    switch_every = jnp.where(it < early_end, jnp.int32(10), jnp.int32(80))
    switch = (bg_draws.n >= switch_every.astype(dtype)) & (switch_every + it <= final_start)
    draws, grads = _where(switch, (bg_draws, bg_grads), (draws, grads))
    bg_draws, bg_grads = _where(switch, (empty, empty), (bg_draws, bg_grads))
    update = in_metric & (draws.n >= 3)
    inv_mass = jnp.where(update, adapt.gradient_metric(draws, grads, c.inv_mass), c.inv_mass)
    first_change = update & ~c.metric_changed
    da = adapt.da_update(c.da, info.accept_prob, target_accept)
    step = jnp.where(it == tune - 1, jnp.exp(da.log_step_bar), jnp.exp(da.log_step))
    kept = (c.welford, c.grads, c.background)
    draws, grads, background = _where(in_metric, (draws, grads, (bg_draws, bg_grads)), kept)
    return c._replace(
        step_size=step, inv_mass=inv_mass, da=da, welford=draws, grads=grads, background=background,
        metric_changed=c.metric_changed | update, search=first_change,
    )
