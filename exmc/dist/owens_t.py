"""The skew normal's log-CDF, with Owen's T function (decision 62).

F(z; alpha) = Phi(z) - 2 T(z, alpha) (Azzalini 1985; Owen 1956, eq. 2.4), where Owen's T is
T(h, a) = 1/(2 pi) int_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx. JAX has no Owen's T, so:

- log T(h, a) for 0 <= a <= 1: while h a <= 5, ``N_LEGENDRE``-point Gauss-Legendre on the
  defining integral (the integrand is entire but for poles at x = +-i, at least 1 away from
  [0, a], and exp(-h^2 x^2 / 2) varies on a scale >= a / 5); beyond, T = Q(h) / 2 minus the
  integral's tail past h a, which after y = k + s / k (k = h a) is e^-s times a smooth factor:
  ``N_LAGUERRE``-point Gauss-Laguerre. Every sum is a sum of positive terms taken in logs, so
  T keeps its relative accuracy however far in the tails (no underflow of e^(-h^2/2)).
- a > 1 by Owen's identity T(h, a) = [Phi(h) Q(ah) + Phi(ah) Q(h)] / 2 - T(ah, 1/a), whose
  first term dominates (no cancellation past a factor 2).
- F itself is taken from the side where it is small and relatively accurate: for alpha <= 0,
  F = Phi(z) + 2 T(|z|, |alpha|), a sum; for alpha > 0 the difference Phi(z) - 2 T cancels as
  z goes down (F is then far smaller than Phi(z)), so where |z| sqrt(1 + alpha^2) >= 3 (z < 0),
  F = 2 int_-inf^z phi(t) Phi(alpha t) dt is computed directly, by Gauss-Laguerre after
  scaling by the log-integrand's slope at z (it is log-concave, so the scaled integrand is
  e^-u times a factor in (0, 1]). Elsewhere the difference loses at most ~3 digits (F >= 1e-3
  Phi(z) there). The other tail is F(-z; -alpha).
- Gradients are exact, not differentiated through the quadrature (``jax.custom_jvp``):
  dF/dz = 2 phi(z) Phi(alpha z) and dF/dalpha = -exp(-z^2 (1 + alpha^2) / 2) / (pi (1 + alpha^2)).

Accuracy is checked in tests/dist/test_cdf.py against scipy (Boost's Owen's T, and numerical
integration in scipy's lower tail) and against an adaptive quadrature of the density.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr, logsumexp

from exmc.dist.special import log_diff_exp

N_LEGENDRE = 40
N_LAGUERRE = 60
_GL_X, _GL_W = np.polynomial.legendre.leggauss(N_LEGENDRE)
_GL_U = 0.5 * (_GL_X + 1.0)  # nodes on [0, 1]
_GL_LOGW = np.log(0.5 * _GL_W)
_LAG_S, _LAG_W = np.polynomial.laguerre.laggauss(N_LAGUERRE)
_LAG_LOGW = np.log(_LAG_W)
_LOG_2PI = float(np.log(2.0 * np.pi))
_LOG_2 = float(np.log(2.0))
_LOG_PI = float(np.log(np.pi))
_SWITCH = 5.0  # h a above which the tail form of T is used
_DEEP = 3.0  # |z| sqrt(1 + alpha^2) from which F is integrated directly (alpha > 0, z < 0)


def _log_t_small(h, a):
    """log T(h, a) for h >= 0 and 0 <= a <= 1."""
    h_, a_ = h[..., None], a[..., None]
    x2 = (a_ * _GL_U) ** 2
    log_gl = jnp.log(a) - _LOG_2PI - 0.5 * h * h + logsumexp(_GL_LOGW - 0.5 * h_ * h_ * x2 - jnp.log1p(x2), axis=-1)
    tail = h * a > _SWITCH
    hs = jnp.where(tail, h, 10.0)
    k = jnp.where(tail, h * a, 10.0)
    k_ = k[..., None]
    y = k_ + _LAG_S / k_
    log_tail = (-0.5 * hs * hs - _LOG_2PI - jnp.log(hs) - 0.5 * k * k - jnp.log(k)
                + logsumexp(_LAG_LOGW - _LAG_S ** 2 / (2.0 * k_ * k_) - jnp.log1p((y / hs[..., None]) ** 2), axis=-1))
    log_half_q = log_ndtr(-hs) - _LOG_2
    return jnp.where(tail, log_diff_exp(log_half_q, jnp.minimum(log_tail, log_half_q)), log_gl)


def log_owens_t(h, a):
    """log T(h, a) for h >= 0, a >= 0 (T is even in h, odd in a)."""
    big = a > 1.0
    small_a = jnp.where(big, 1.0, a)
    big_a = jnp.where(big, a, 2.0)
    k = h * big_a
    first = jnp.logaddexp(log_ndtr(h) + log_ndtr(-k), log_ndtr(k) + log_ndtr(-h)) - _LOG_2
    log_big = log_diff_exp(first, jnp.minimum(_log_t_small(k, 1.0 / big_a), first))
    return jnp.where(big, log_big, _log_t_small(h, small_a))


def _log_f_direct(z, alpha):
    """log F(z; alpha) for alpha > 0, z < 0: 2 int_-inf^z phi(t) Phi(alpha t) dt by
    Gauss-Laguerre in s = u / r below z, r the log-integrand's slope at z."""
    at_z = -0.5 * z * z - 0.5 * _LOG_2PI + log_ndtr(alpha * z)
    # slope: -z + alpha phi(alpha z) / Phi(alpha z), the inverse Mills ratio from logs
    u = alpha * z
    r = -z + alpha * jnp.exp(-0.5 * u * u - 0.5 * _LOG_2PI - log_ndtr(u))
    t = z[..., None] - _LAG_S / r[..., None]
    inner = -0.5 * t * t - 0.5 * _LOG_2PI + log_ndtr(alpha[..., None] * t) - at_z[..., None] + _LAG_S
    return _LOG_2 - jnp.log(r) + at_z + logsumexp(_LAG_LOGW + inner, axis=-1)


def _log_f_small_side(z, alpha):
    """log F(z; alpha), relatively accurate wherever F is not near 1."""
    h, a = jnp.abs(z), jnp.abs(alpha)
    log_t = _LOG_2 + log_owens_t(h, a)  # log 2T(|z|, |alpha|)
    log_phi = log_ndtr(z)
    summed = jnp.logaddexp(log_phi, log_t)  # alpha <= 0
    differenced = log_diff_exp(log_phi, jnp.minimum(log_t, log_phi))  # alpha > 0
    deep = (alpha > 0.0) & (z < 0.0) & (h * jnp.sqrt(1.0 + alpha * alpha) >= _DEEP)
    zd = jnp.where(deep, z, -4.0)
    ad = jnp.where(deep, alpha, 1.0)
    direct = _log_f_direct(zd, ad)
    return jnp.where(alpha <= 0.0, summed, jnp.where(deep, direct, differenced))


@jax.custom_jvp
def skew_normal_log_cdf(z, alpha):
    """log P(Z <= z) for the standard skew normal with shape alpha."""
    z, alpha = jnp.broadcast_arrays(z, alpha)
    log_f = _log_f_small_side(z, alpha)
    log_s = _log_f_small_side(-z, -alpha)
    near_one = log_f >= -_LOG_2
    s = jnp.where(near_one, log_s, -1.0)
    return jnp.where(near_one, jnp.log1p(-jnp.exp(jnp.minimum(s, -1e-300))), log_f)


@skew_normal_log_cdf.defjvp
def _skew_normal_log_cdf_jvp(primals, tangents):
    z, alpha = primals
    dz, dalpha = tangents
    z, alpha = jnp.broadcast_arrays(z, alpha)
    log_f = skew_normal_log_cdf(z, alpha)
    log_p = _LOG_2 - 0.5 * z * z - 0.5 * _LOG_2PI + log_ndtr(alpha * z)  # the density
    log_q = -_LOG_PI - 0.5 * z * z * (1.0 + alpha * alpha) - jnp.log1p(alpha * alpha)  # -dF/dalpha
    finite = jnp.isfinite(log_f)
    safe = jnp.where(finite, log_f, 0.0)
    d_z = jnp.where(finite, jnp.exp(log_p - safe), 0.0)
    d_alpha = jnp.where(finite, -jnp.exp(log_q - safe), 0.0)
    return log_f, d_z * dz + d_alpha * dalpha
