"""The leapfrog integrator and the Euclidean kinetic energy.

The metric (the inverse mass matrix M^-1, the posterior covariance estimate) is either

- a vector: the diagonal of M^-1 (Stan's ``diag_e``, nutpie's diagonal), or
- a ``LowRank``: M^-1 = S (I + U diag(lam - 1) U^T) S with S = diag(s) and U's columns
  orthonormal. With U of rank k < dim this is nutpie's low-rank modified mass matrix
  (Seyboldt et al. 2024, "Preconditioning Hamiltonian Monte Carlo by minimizing Fisher
  divergence"); with k = dim and s the marginal scales, any dense M^-1 (Stan's ``dense_e``)
  through the eigendecomposition of its correlation matrix. A unit eigenvalue (lam = 1)
  leaves its direction to the diagonal, so one compiled form covers diagonal, low-rank and
  dense.

Momentum p ~ N(0, M), velocity M^-1 p, kinetic energy p . M^-1 p / 2. Which form the metric
has is known when tracing, so a diagonal run compiles exactly the elementwise products.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


class LowRank(NamedTuple):
    """M^-1 = S (I + U diag(lam - 1) U^T) S; see the module docstring."""

    s: jax.Array      # (dim,) scales
    u: jax.Array      # (dim, k) orthonormal columns
    lam: jax.Array    # (k,) eigenvalues of the scaled covariance along u


class Point(NamedTuple):
    """A point of phase space with what the tree needs of it.

    Each point keeps its own gradient: the seed's variance-inflation bug came from
    extending a trajectory end with the gradient of another point.
    """

    q: jax.Array       # position (dim,)
    p: jax.Array       # momentum (dim,)
    logp: jax.Array    # log-density at q
    grad: jax.Array    # its gradient at q


def velocity(metric, p):
    """M^-1 p."""
    if isinstance(metric, LowRank):
        sp = metric.s * p
        return metric.s * (sp + metric.u @ ((metric.lam - 1.0) * (metric.u.T @ sp)))
    return metric * p


def momentum(metric, z):
    """A draw of N(0, M) from a standard normal ``z``: M^(1/2) z.

    For the low-rank form, M = S^-1 (I + U diag(1/lam - 1) U^T) S^-1, and
    (I + U diag(lam^-1/2 - 1) U^T) squares to its middle factor (U's columns orthonormal).
    """
    if isinstance(metric, LowRank):
        return (z + metric.u @ ((jax.lax.rsqrt(metric.lam) - 1.0) * (metric.u.T @ z))) / metric.s
    return z / jnp.sqrt(metric)


def kinetic(p, metric):
    return 0.5 * jnp.dot(p, velocity(metric, p))


def hamiltonian(point: Point, metric):
    return kinetic(point.p, metric) - point.logp


def leapfrog(logp_and_grad: Callable, point: Point, step_size, metric) -> Point:
    """One leapfrog step of signed size ``step_size`` (negative integrates backward)."""
    p_half = point.p + 0.5 * step_size * point.grad
    q = point.q + step_size * velocity(metric, p_half)
    logp, grad = logp_and_grad(q)
    p = p_half + 0.5 * step_size * grad
    return Point(q, p, logp, grad)
