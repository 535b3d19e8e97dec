"""The leapfrog integrator and the Euclidean kinetic energy with a diagonal metric.

``inv_mass`` is the diagonal of the inverse mass matrix M^-1 (the posterior variance
estimate): momentum p ~ N(0, M), velocity M^-1 p, kinetic energy p . M^-1 p / 2.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


class Point(NamedTuple):
    """A point of phase space with what the tree needs of it.

    Each point keeps its own gradient: the seed's variance-inflation bug came from
    extending a trajectory end with the gradient of another point.
    """

    q: jax.Array       # position (dim,)
    p: jax.Array       # momentum (dim,)
    logp: jax.Array    # log-density at q
    grad: jax.Array    # its gradient at q


def kinetic(p, inv_mass):
    return 0.5 * jnp.dot(p, inv_mass * p)


def hamiltonian(point: Point, inv_mass):
    return kinetic(point.p, inv_mass) - point.logp


def leapfrog(logp_and_grad: Callable, point: Point, step_size, inv_mass) -> Point:
    """One leapfrog step of signed size ``step_size`` (negative integrates backward)."""
    p_half = point.p + 0.5 * step_size * point.grad
    q = point.q + step_size * inv_mass * p_half
    logp, grad = logp_and_grad(q)
    p = p_half + 0.5 * step_size * grad
    return Point(q, p, logp, grad)
