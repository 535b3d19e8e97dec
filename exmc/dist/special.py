"""Numerically stable pieces shared by the families' log-densities and log-CDFs.

Each is written so that no intermediate rounds to 0 or 1 before a logarithm is taken
(Maechler 2012, "Accurately computing log(1 - exp(-|a|))", the Rmpfr vignette).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

_LOG_2 = float(np.log(2.0))


def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|), exact to rounding for every z.

    max and |z| are both written as the z <= 0 branch at z = 0, so the derivative there is
    sigmoid(0) = 1/2: JAX's own rules (1/2 for a tie of ``maximum``, 1 for ``abs`` at 0)
    combine to 0.
    """
    positive = z > 0
    return jnp.where(positive, z, 0.0) + jnp.log1p(jnp.exp(-jnp.where(positive, z, -z)))


def log1mexp(a):
    """log(1 - e^-a) for a >= 0 (Maechler 2012): log(-expm1(-a)) below log 2, where
    1 - e^-a is small and expm1 keeps its digits, log1p(-e^-a) above, where it is near 1."""
    small = a < _LOG_2
    # each branch gets an argument valid for it, so the branch not taken is finite too
    # and its gradient (multiplied by 0 in jnp.where's) cannot be NaN
    a_small = jnp.where(small, a, _LOG_2)
    a_large = jnp.where(small, _LOG_2, a)
    return jnp.where(small, jnp.log(-jnp.expm1(-a_small)), jnp.log1p(-jnp.exp(-a_large)))


def log_from_p_or_q(p, q):
    """log(p) where p = 1 - q, from whichever of p and q was computed accurately.

    Regularised incomplete functions give both P and Q = 1 - P, each with relative accuracy;
    log(P) is accurate while P < 1/2, and log1p(-Q) when P is near 1.
    """
    small = p < 0.5
    # each branch sees a harmless argument where it is not taken, so its derivative there is
    # finite and jnp.where's zero cotangent cannot make it NaN (0 * inf)
    return jnp.where(small, jnp.log(jnp.where(small, p, 1.0)), jnp.log1p(-jnp.where(small, 0.0, q)))


def log_diff_exp(a, b):
    """log(e^a - e^b) for a >= b, as a + log1mexp(a - b); -inf when a == b."""
    return a + log1mexp(a - b)


def betaln(a, b):
    """log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).

    Not ``jax.scipy.special.betaln``: in JAX 0.10 it is off by 1.5e-8 relative at
    (a, b) = (3.01, 17) (against mpmath at 40 digits), above the 1e-8 asked of every
    log-density. XLA's lgamma is accurate to rounding, so the three-term sum is accurate to
    eps times the terms' size, which stays below 1e-10 relative for a, b up to 1e5.
    """
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def log_split(log_left, log_right, log_total):
    """(log F, log S) of a point splitting a mass exp(log_total) into exp(log_left) below and
    exp(log_right) above: each from its own side while under 1/2, else as log1p(-other), so
    neither loses its digits to the subtraction near 0."""
    left, right = log_left - log_total, log_right - log_total
    small_left = left < -_LOG_2
    safe_right = jnp.where(small_left, -1.0, right)
    safe_left = jnp.where(small_left, left, -1.0)
    log_f = jnp.where(small_left, left, jnp.log1p(-jnp.exp(safe_right)))
    log_s = jnp.where(small_left, jnp.log1p(-jnp.exp(safe_left)), right)
    return log_f, log_s


def log_interval_mass(log_f_lower, log_s_lower, log_f_upper, log_s_upper):
    """log(F(upper) - F(lower)) from the log-CDFs and log-survivals at both bounds.

    Taken on the side where the probabilities are small, so nothing cancels: both bounds
    below the median: log(F(u) - F(l)); both above: log(S(l) - S(u)); straddling it:
    log(1 - F(l) - S(u)), each of F(l), S(u) <= 1/2. An absent bound is F = 0, S = 1 there
    (log_f = -inf, log_s = 0). Every branch is given harmless inputs where it is not taken,
    so no NaN reaches the gradient through jnp.where.
    """
    half = -_LOG_2
    below = log_f_upper < half
    above = ~below & (log_s_lower < half)
    straddle = ~below & ~above
    # below: a = log F(u) > b = log F(l); harmless stand-ins (0, -1) elsewhere
    a = jnp.where(below, log_f_upper, 0.0)
    b = jnp.where(below, jnp.minimum(log_f_lower, log_f_upper), -1.0)
    from_below = log_diff_exp(a, b)
    c = jnp.where(above, log_s_lower, 0.0)
    d = jnp.where(above, jnp.minimum(log_s_upper, log_s_lower), -1.0)
    from_above = log_diff_exp(c, d)
    tails = jnp.where(straddle, jnp.exp(log_f_lower) + jnp.exp(log_s_upper), 0.5)
    across = jnp.log1p(-tails)
    return jnp.where(below, from_below, jnp.where(above, from_above, across))
