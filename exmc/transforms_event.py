"""Transforms of whole vectors and matrices: simplex, ordered, corr_cholesky, zero_sum.

Each follows the construction of the Stan Reference Manual, chapter "Constraint
Transforms" (Stan Development Team, version 2.36), except ``zero_sum``, which is the
Householder construction of PyMC's ``ZeroSumTransform``; decision 41 records them. Two change
dimension (``simplex``: K-1 -> K, ``corr_cholesky``: n(n-1)/2 -> n x n, ``zero_sum``: K-1 ->
K); their ``log_det_jacobian`` is the log-determinant of the Jacobian of the map from the
unconstrained vector to the free coordinates of the value (all but the last entry of a
simplex or zero-sum vector; the strictly lower triangle of a Cholesky factor), which is what
the densities on those sets are written against.

All act on the last axis (the last two for ``corr_cholesky``); leading axes are a batch, and
``log_det_jacobian`` returns one value per event.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from exmc import constraints as C
from exmc.transforms import Transform


def _reverse_cumsum(x):
    """sum_{j >= k} x_j along the last axis: the remainders of a simplex without the
    cancellation of 1 - cumsum."""
    return jnp.flip(jnp.cumsum(jnp.flip(x, -1), -1), -1)


class _Simplex(Transform):
    """Stick-breaking (Stan Reference Manual, "Unit simplex"):
    z_k = logistic(y_k - log(K - 1 - k)), x_k = z_k (1 - sum_{j<k} x_j), x_{K-1} the rest.
    The offset makes y = 0 the centre of the simplex. log|J| = sum_k log z_k + log(1 - z_k)
    + log(1 - sum_{j<k} x_j), triangular in (x_0, ..., x_{K-2})."""

    event_dims = 1

    def unconstrained_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def check_shape(self, shape):
        if len(shape) < 1 or shape[-1] < 2:
            return f"transform 'simplex' needs a vector of at least 2 entries on the last axis, got shape {shape}"
        return None

    @staticmethod
    def _parts(y):
        k = y.shape[-1]
        u = y - jnp.log(jnp.arange(k, 0, -1, dtype=y.dtype))
        log_z, log_1mz = jax.nn.log_sigmoid(u), jax.nn.log_sigmoid(-u)
        log_rest = jnp.cumsum(log_1mz, -1)  # log of what is left after entry k
        log_before = log_rest - log_1mz  # ... before entry k
        return log_z, log_1mz, log_before, log_rest

    def forward(self, y, lower=None, upper=None):
        log_z, _, log_before, log_rest = self._parts(y)
        last = log_rest[..., -1:] if y.shape[-1] else jnp.zeros(y.shape[:-1] + (1,), y.dtype)
        return jnp.exp(jnp.concatenate([log_before + log_z, last], -1))

    def inverse(self, x, lower=None, upper=None):
        k = x.shape[-1] - 1
        rest_after = _reverse_cumsum(x)[..., 1:]  # sum_{j > k} x_j
        return jnp.log(x[..., :-1]) - jnp.log(rest_after) + jnp.log(jnp.arange(k, 0, -1, dtype=x.dtype))

    def log_det_jacobian(self, y, lower=None, upper=None):
        log_z, log_1mz, log_before, _ = self._parts(y)
        return jnp.sum(log_z + log_1mz + log_before, -1)

    def maps_onto(self, support):
        return support == C.simplex


class _Ordered(Transform):
    """Stan Reference Manual, "Ordered vector": x_0 = y_0, x_k = x_{k-1} + exp(y_k);
    log|J| = sum_{k >= 1} y_k. On a real-valued variable it restricts the variable to
    increasing vectors (a mixture's component means), as Stan's ``ordered`` does."""

    event_dims = 1

    def forward(self, y, lower=None, upper=None):
        return jnp.cumsum(jnp.concatenate([y[..., :1], jnp.exp(y[..., 1:])], -1), -1)

    def inverse(self, x, lower=None, upper=None):
        return jnp.concatenate([x[..., :1], jnp.log(jnp.diff(x, axis=-1))], -1)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return jnp.sum(y[..., 1:], -1)

    def maps_onto(self, support):
        return support in (C.real, C.ordered)


class _ZeroSum(Transform):
    """K-1 reals onto the K-vectors summing to 0, isometrically: the Householder reflection
    that swaps e_K and 1/sqrt(K) (PyMC's ZeroSumTransform). With s = sum(y):
    x_k = y_k - s / (K + sqrt K) for k < K-1, x_{K-1} = -s / sqrt K. The map from y to the
    free coordinates x_0..x_{K-2} is I - 1 1^T / (K + sqrt K), of determinant 1/sqrt K, so
    log|J| = -log(K) / 2, a constant. On a real-valued variable it restricts the variable to
    the zero-sum subspace."""

    event_dims = 1

    def unconstrained_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def check_shape(self, shape):
        if len(shape) < 1 or shape[-1] < 2:
            return f"transform 'zero_sum' needs a vector of at least 2 entries on the last axis, got shape {shape}"
        return None

    def forward(self, y, lower=None, upper=None):
        k = y.shape[-1] + 1
        s = jnp.sum(y, -1, keepdims=True)
        root = math.sqrt(k)
        return jnp.concatenate([y - s / (k + root), -s / root], -1)

    def inverse(self, x, lower=None, upper=None):
        root = math.sqrt(x.shape[-1])
        return x[..., :-1] - x[..., -1:] / (root + 1.0)

    def log_det_jacobian(self, y, lower=None, upper=None):
        k = y.shape[-1] + 1
        return jnp.full(y.shape[:-1], -0.5 * math.log(k), y.dtype)

    def maps_onto(self, support):
        return support in (C.real, C.zero_sum)


def corr_size(m: int) -> int:
    """n such that n (n - 1) / 2 = m."""
    n = int(round((1.0 + math.sqrt(1.0 + 8.0 * m)) / 2.0))
    if n * (n - 1) // 2 != m:
        raise ValueError(f"{m} is not n(n-1)/2 for any n")
    return n


class _CorrCholesky(Transform):
    """Stan Reference Manual, "Cholesky factors of correlation matrices": the n(n-1)/2
    reals y, in the order of the strictly lower triangle's rows, become canonical partial
    correlations z = tanh(y), and row i of L is
    L_ij = z_ij sqrt(1 - sum_{k<j} L_ik^2) (j < i), L_ii = sqrt(1 - sum_{k<i} L_ik^2),
    with 1 - sum_{k<j} L_ik^2 = prod_{k<j} (1 - z_ik^2). The map to the strictly lower
    triangle is triangular: log|J| = sum_{i>j} log(1 - z_ij^2) + log(1 - sum_{k<j} L_ik^2) / 2."""

    event_dims = 2

    def unconstrained_shape(self, shape):
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n - 1) // 2,)

    def check_shape(self, shape):
        if len(shape) < 2 or shape[-1] != shape[-2]:
            return f"transform 'corr_cholesky' needs square matrices on the last two axes, got shape {shape}"
        return None

    @staticmethod
    def _parts(y):
        n = corr_size(y.shape[-1])
        rows, cols = np.tril_indices(n, -1)
        a = jnp.abs(y)
        log_1mz2 = math.log(4.0) - 2.0 * a - 2.0 * jnp.log1p(jnp.exp(-2.0 * a))  # log sech^2, stable
        batch = y.shape[:-1]
        z = jnp.zeros(batch + (n, n), y.dtype).at[..., rows, cols].set(jnp.tanh(y))
        w = jnp.zeros(batch + (n, n), y.dtype).at[..., rows, cols].set(log_1mz2)
        before = jnp.cumsum(w, -1) - w  # log(1 - sum_{k<j} L_ik^2), exclusive in j
        return n, rows, cols, z, w, before

    def forward(self, y, lower=None, upper=None):
        n, _, _, z, w, before = self._parts(y)
        diagonal = jnp.exp(0.5 * jnp.sum(w, -1))
        return z * jnp.exp(0.5 * before) + diagonal[..., None] * jnp.eye(n, dtype=y.dtype)

    def inverse(self, x, lower=None, upper=None):
        n = x.shape[-1]
        rows, cols = np.tril_indices(n, -1)
        rest = _reverse_cumsum(x * x)  # sum_{k >= j} L_ik^2 = 1 - sum_{k<j} L_ik^2 on a unit row
        z = x[..., rows, cols] / jnp.sqrt(rest[..., rows, cols])
        return jnp.arctanh(z)

    def log_det_jacobian(self, y, lower=None, upper=None):
        _, rows, cols, _, w, before = self._parts(y)
        return jnp.sum((w + 0.5 * before)[..., rows, cols], -1)

    def maps_onto(self, support):
        return support == C.corr_cholesky


simplex = _Simplex("simplex")
ordered = _Ordered("ordered")
zero_sum = _ZeroSum("zero_sum")
corr_cholesky = _CorrCholesky("corr_cholesky")
