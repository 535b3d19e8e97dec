"""Multinomial NUTS (Hoffman & Gelman 2014; Betancourt 2017), iterative, as a pure kernel.

``nuts_step(key, state, ...) -> (state, info)``. The trajectory doubles, in a random
direction each time, until the generalised U-turn criterion fails, a leaf diverges, or
``max_treedepth`` doublings are done.

- Top level: biased progressive sampling between the old trajectory and the new subtree.
- Within a subtree: leaves are made one by one in the order they are integrated and the
  proposal is sampled progressively in proportion to the leaves' weights (uniform
  progressive sampling, equivalent in distribution to the recursive multinomial scheme).
- Randomness: counter-based (``exmc.sampler.rng``), from the transition's 64-bit seed.
- U-turns: every balanced sub-subtree completed by a leaf is checked, with Stan's two extra
  checks across its halves. Its start leaf's data is found in a checkpoint stack indexed by
  popcount(start >> 1): the binary counter of open blocks, so each even leaf writes one row.

Divergence: energy error > 1000 (NaN counts as infinite). The subtree in which it occurs is
rejected and the transition ends, as in Stan.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from exmc.sampler import rng
from exmc.sampler.integrator import Point, hamiltonian, leapfrog, momentum, start as start_point

MAX_ENERGY_ERROR = 1000.0


class State(NamedTuple):
    """What a chain carries from one draw to the next (the key is never part of it)."""

    q: jax.Array
    logp: jax.Array
    grad: jax.Array


class Info(NamedTuple):
    """Per-draw statistics (Stan's names)."""

    diverging: jax.Array
    energy: jax.Array
    tree_depth: jax.Array
    n_steps: jax.Array
    accept_prob: jax.Array


class _Proposal(NamedTuple):
    q: jax.Array
    logp: jax.Array
    grad: jax.Array
    energy: jax.Array


class _Trajectory(NamedTuple):
    left: Point
    right: Point
    rho: jax.Array
    log_weight: jax.Array
    proposal: _Proposal


class _Stack(NamedTuple):
    """Checkpoints for start leaves of open blocks: their p and p# = M^-1 p, the prefix sum
    of p before them, and the p and p# of the leaf just before them (the end of the left
    half). p# is stored, not recomputed by the checks (see ``integrator``)."""

    p: jax.Array
    v: jax.Array
    rho_before: jax.Array
    prev_p: jax.Array
    prev_v: jax.Array


class _Subtree(NamedTuple):
    i: jax.Array                 # leaves made so far
    last: Point                  # the outermost leaf
    first_p: jax.Array           # the leaf nearest the old trajectory
    first_v: jax.Array           # its p#
    prev_p: jax.Array            # the leaf before ``last``
    prev_v: jax.Array            # its p#
    rho: jax.Array               # sum of p over the leaves so far
    log_weight: jax.Array
    proposal: _Proposal
    stack: _Stack
    diverging: jax.Array
    turning: jax.Array
    sum_accept: jax.Array


def _no_uturn(p_sharp_a, p_sharp_b, rho):
    return (jnp.dot(p_sharp_a, rho) > 0) & (jnp.dot(p_sharp_b, rho) > 0)


def _popcount(n):
    return lax.population_count(n)


def _trailing_ones(n):
    """Number of trailing 1 bits of the non-negative int ``n``."""
    return lax.population_count((n ^ (n + 1)) >> 1)


def _subtree_turns(stack: _Stack, e, leaf_p, leaf_p_sharp, rho_e):
    """U-turn checks of every block completed by leaf ``e`` (0-based, in build order).

    Leaf e completes blocks of levels k = 1 .. trailing_ones(e): block k spans
    [e + 1 - 2^k, e], halves of 2^(k-1) leaves each.
    """
    levels = _trailing_ones(e)

    def check(k, turning):
        start = e + 1 - (1 << k)
        row = _popcount(start >> 1)
        rho_block = rho_e - stack.rho_before[row]
        start_p_sharp = stack.v[row]
        ok = _no_uturn(start_p_sharp, leaf_p_sharp, rho_block)
        if_k1 = k == 1
        # Start of the right half: the current leaf for k = 1, else a checkpoint.
        mid = e + 1 - (1 << (k - 1))
        mid_row = _popcount(mid >> 1)
        final_beg_p = jnp.where(if_k1, leaf_p, stack.p[mid_row])
        final_beg_v = jnp.where(if_k1, leaf_p_sharp, stack.v[mid_row])
        # End of the left half: the block's start leaf for k = 1, else the leaf before mid.
        init_end_p = jnp.where(if_k1, stack.p[row], stack.prev_p[mid_row])
        init_end_v = jnp.where(if_k1, stack.v[row], stack.prev_v[mid_row])
        rho_mid = jnp.where(if_k1, stack.rho_before[row] + stack.p[row], stack.rho_before[mid_row])
        rho_init = rho_mid - stack.rho_before[row]
        rho_final = rho_e - rho_mid
        ok &= _no_uturn(start_p_sharp, final_beg_v, rho_init + final_beg_p)
        ok &= _no_uturn(init_end_v, leaf_p_sharp, rho_final + init_end_p)
        return turning | ~ok

    def body(carry):
        k, turning = carry
        return k + 1, check(k, turning)

    def cond(carry):
        k, turning = carry
        return (k <= levels) & ~turning

    _, turning = lax.while_loop(cond, body, (jnp.int32(1), jnp.bool_(False)))
    return turning


def _build_subtree(seed, counter, logp_and_grad, start: Point, direction, depth, step_size, inv_mass, h0, stack_rows):
    """Make up to 2^depth leaves outward from ``start``; stop at a divergence or U-turn.

    Leaf i draws its uniform from counter + i.
    """
    dim = start.q.shape[0]
    signed_step = direction * step_size
    n_leaves = jnp.left_shift(jnp.int32(1), depth)
    zeros = jnp.zeros((stack_rows, dim), start.q.dtype)
    init = _Subtree(
        i=jnp.int32(0),
        last=start,
        first_p=jnp.zeros_like(start.p),
        first_v=jnp.zeros_like(start.p),
        prev_p=jnp.zeros_like(start.p),
        prev_v=jnp.zeros_like(start.p),
        rho=jnp.zeros_like(start.p),
        log_weight=jnp.array(-jnp.inf, start.q.dtype),
        proposal=_Proposal(start.q, start.logp, start.grad, h0),
        stack=_Stack(zeros, zeros, zeros, zeros, zeros),
        diverging=jnp.bool_(False),
        turning=jnp.bool_(False),
        sum_accept=jnp.zeros((), start.q.dtype),
    )

    def cond(s: _Subtree):
        return (s.i < n_leaves) & ~s.diverging & ~s.turning

    def body(s: _Subtree):
        leaf = leapfrog(logp_and_grad, s.last, signed_step, inv_mass)
        h = hamiltonian(leaf)
        h = jnp.where(jnp.isnan(h), jnp.inf, h)
        energy_error = h - h0
        diverging = energy_error > MAX_ENERGY_ERROR
        leaf_log_weight = -energy_error
        accept = jnp.minimum(1.0, jnp.exp(leaf_log_weight))
        log_weight = jnp.logaddexp(s.log_weight, leaf_log_weight)
        u = rng.uniform(seed, counter + s.i, start.q.dtype.type)
        take = jnp.log(u) < leaf_log_weight - log_weight
        proposal = jax.tree.map(
            lambda new, old: jnp.where(take, new, old),
            _Proposal(leaf.q, leaf.logp, leaf.grad, h),
            s.proposal,
        )
        p_sharp = leaf.v
        rho_before = s.rho
        rho = s.rho + leaf.p
        # An even leaf starts blocks of level >= 1 and pushes its checkpoint; an odd leaf
        # writes to the scratch row (the last), which no check reads.
        row = jnp.where(s.i % 2 == 0, _popcount(s.i >> 1), stack_rows - 1)
        stack = _Stack(
            s.stack.p.at[row].set(leaf.p),
            s.stack.v.at[row].set(p_sharp),
            s.stack.rho_before.at[row].set(rho_before),
            s.stack.prev_p.at[row].set(s.prev_p),
            s.stack.prev_v.at[row].set(s.prev_v),
        )
        turning = lax.cond(
            s.i % 2 == 1,
            lambda: _subtree_turns(stack, s.i, leaf.p, p_sharp, rho),
            lambda: jnp.bool_(False),
        )
        return _Subtree(
            i=s.i + 1,
            last=leaf,
            first_p=jnp.where(s.i == 0, leaf.p, s.first_p),
            first_v=jnp.where(s.i == 0, p_sharp, s.first_v),
            prev_p=leaf.p,
            prev_v=p_sharp,
            rho=rho,
            log_weight=log_weight,
            proposal=proposal,
            stack=stack,
            diverging=diverging,
            turning=turning,
            sum_accept=s.sum_accept + accept,
        )

    return lax.while_loop(cond, body, init)


def nuts_step(
    seed: jax.Array,
    state: State,
    logp_and_grad: Callable,
    step_size,
    inv_mass,
    max_treedepth: int,
) -> tuple[State, Info]:
    """One NUTS transition from ``state``; ``step_size`` and ``inv_mass`` may be traced.

    ``seed`` (uint64) is the transition's: its momentum and every uniform it draws come from
    ``exmc.sampler.rng`` counters under it.
    """
    dtype = state.q.dtype
    p0 = momentum(inv_mass, rng.normal(seed, rng.MOMENTUM, state.q.shape, dtype))
    z0 = start_point(state.q, p0, state.logp, state.grad, inv_mass)
    h0 = hamiltonian(z0)
    traj0 = _Trajectory(z0, z0, p0, jnp.zeros((), dtype), _Proposal(state.q, state.logp, state.grad, h0))
    stack_rows = max(max_treedepth, 1) + 1  # one row per open block, plus a scratch row

    class Loop(NamedTuple):
        depth: jax.Array
        traj: _Trajectory
        n_steps: jax.Array
        sum_accept: jax.Array
        diverging: jax.Array
        done: jax.Array

    def cond(s: Loop):
        return (s.depth < max_treedepth) & ~s.done

    def body(s: Loop):
        # Uniform counters: doubling d's leaves use 2**d - 1 + i (every leaf of the
        # transition its own); the doubling's own two use DOUBLINGS + 2d and + 2d + 1.
        doubling = jnp.uint64(rng.DOUBLINGS) + jnp.uint64(2) * s.depth.astype(jnp.uint64)
        forward = rng.uniform(seed, doubling, dtype.type) < 0.5
        direction = jnp.where(forward, 1.0, -1.0).astype(dtype)
        traj = s.traj
        start = jax.tree.map(lambda r, l: jnp.where(forward, r, l), traj.right, traj.left)
        sub = _build_subtree(
            seed, jnp.left_shift(jnp.int32(1), s.depth) - 1, logp_and_grad, start, direction,
            s.depth, step_size, inv_mass, h0, stack_rows,
        )
        n_steps = s.n_steps + sub.i
        sum_accept = s.sum_accept + sub.sum_accept
        valid = ~sub.diverging & ~sub.turning
        # Biased progressive sampling: move to the subtree's proposal w.p. min(1, W_new / W_old).
        u = rng.uniform(seed, doubling + jnp.uint64(1), dtype.type)
        take = valid & (jnp.log(u) < sub.log_weight - traj.log_weight)
        proposal = jax.tree.map(lambda new, old: jnp.where(take, new, old), sub.proposal, traj.proposal)
        # Merge, then the generalised U-turn criterion with Stan's checks across the halves.
        outer_old = jax.tree.map(lambda l, r: jnp.where(forward, l, r), traj.left, traj.right)
        junction_old = start
        far = sub.last
        rho = traj.rho + sub.rho
        ok = _no_uturn(outer_old.v, far.v, rho)
        ok &= _no_uturn(outer_old.v, sub.first_v, traj.rho + sub.first_p)
        ok &= _no_uturn(junction_old.v, far.v, sub.rho + junction_old.p)
        new_left = jax.tree.map(lambda f, l: jnp.where(forward, l, f), far, traj.left)
        new_right = jax.tree.map(lambda f, r: jnp.where(forward, f, r), far, traj.right)
        merged = _Trajectory(new_left, new_right, rho, jnp.logaddexp(traj.log_weight, sub.log_weight), proposal)
        traj = jax.tree.map(lambda new, old: jnp.where(valid, new, old), merged, traj)
        depth = s.depth + valid.astype(s.depth.dtype)
        return Loop(depth, traj, n_steps, sum_accept, s.diverging | sub.diverging, ~valid | ~ok)

    init = Loop(jnp.int32(0), traj0, jnp.int32(0), jnp.zeros((), dtype), jnp.bool_(False), jnp.bool_(False))
    out = lax.while_loop(cond, body, init)
    prop = out.traj.proposal
    info = Info(
        diverging=out.diverging,
        energy=prop.energy,
        tree_depth=out.depth,
        n_steps=out.n_steps,
        accept_prob=out.sum_accept / jnp.maximum(out.n_steps, 1).astype(dtype),
    )
    return State(prop.q, prop.logp, prop.grad), info
