"""One compiled chunk: many NUTS iterations of one chain, with the warmup inside.

``make_chunk(logp_and_grad, dim, length, max_treedepth)`` returns a function
``run(chain_key, carry, n, schedule, target_accept) -> (carry, out)`` that performs
``n <= length`` iterations (n is traced: any chunk size reuses one compilation) and writes
each one's position and statistics into buffers of ``length`` rows.

The iteration's key is ``fold_in(chain_key, iteration)``, so draws do not depend on how
iterations are cut into chunks, nor on how many threads run the chains.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from exmc.sampler import adapt
from exmc.sampler.nuts import State, nuts_step

STAT_NAMES = ("diverging", "energy", "step_size", "tree_depth", "n_steps", "lp", "accept_prob")


class Carry(NamedTuple):
    state: State
    step_size: jax.Array
    inv_mass: jax.Array
    da: adapt.DualAveraging
    welford: adapt.Welford
    iteration: jax.Array


def make_init(logp_and_grad: Callable):
    """``init(chain_key, q0) -> Carry``: logp and gradient at q0, Stan's first step size."""

    def init(chain_key, q0):
        logp, grad = logp_and_grad(q0)
        inv_mass = jnp.ones_like(q0)
        step = adapt.find_step_size(
            jax.random.split(chain_key)[1], q0, logp, grad, logp_and_grad,
            jnp.ones((), q0.dtype), inv_mass,
        )
        return Carry(
            State(q0, logp, grad), step, inv_mass, adapt.da_init(step),
            adapt.welford_init(q0.shape[0], q0.dtype), jnp.int32(0),
        )

    return init


def make_chunk(logp_and_grad: Callable, dim: int, length: int, max_treedepth: int):
    def run(chain_key, carry: Carry, n, schedule, target_accept):
        tune, init_buffer, slow_end, window_ends = schedule[0], schedule[1], schedule[2], schedule[3:]
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
            key = jax.random.fold_in(chain_key, it)
            state, info = nuts_step(key, c.state, logp_and_grad, c.step_size, c.inv_mass, max_treedepth)
            row = {
                "q": state.q, "lp": state.logp, "diverging": info.diverging, "energy": info.energy,
                "step_size": c.step_size, "tree_depth": info.tree_depth, "n_steps": info.n_steps,
                "accept_prob": info.accept_prob,
            }
            out = {k: out[k].at[t].set(v) for k, v in row.items()}

            # Warmup (Stan's order): step size, then the metric's window, then window ends.
            warm = it < tune
            da = adapt.da_update(c.da, info.accept_prob, target_accept)
            step = jnp.exp(da.log_step)
            collect = (it >= init_buffer) & (it < slow_end)
            welford = jax.tree.map(
                lambda new, old: jnp.where(collect, new, old), adapt.welford_update(c.welford, state.q), c.welford
            )
            window_end = jnp.any(window_ends == it)
            inv_mass = jnp.where(window_end, adapt.welford_metric(welford), c.inv_mass)
            welford = jax.tree.map(
                lambda reset, kept: jnp.where(window_end, reset, kept), adapt.welford_init(dim, dtype), welford
            )
            step = lax.cond(
                window_end,
                lambda: adapt.find_step_size(
                    jax.random.fold_in(key, 1), state.q, state.logp, state.grad, logp_and_grad, step, inv_mass
                ),
                lambda: step,
            )
            da = jax.tree.map(lambda reset, kept: jnp.where(window_end, reset, kept), adapt.da_init(step), da)
            step = jnp.where(it == tune - 1, jnp.exp(da.log_step_bar), step)
            adapted = Carry(state, step, inv_mass, da, welford, it + 1)
            frozen = Carry(state, c.step_size, c.inv_mass, c.da, c.welford, it + 1)
            c = jax.tree.map(lambda a, f: jnp.where(warm, a, f), adapted, frozen)
            return c, out

        return lax.fori_loop(0, n, body, (carry, buffers))

    return run
