"""Transforms: round trips, image inside the support, log-Jacobians against autodiff and
against their asymptotic closed forms in the tails; the registry (default and checked
user-chosen transforms).

Every JAX computation here runs under float64 (the ``x64`` fixture, applied module-wide).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import exmc
from exmc import constraints as C
from exmc import transforms as T

pytestmark = pytest.mark.usefixtures("x64")

# Interval bounds are arrays (the compiler resolves them from parameters): two bound pairs
# side by side, broadcasting against y of shape (N, 1).
LOWER = np.array([-3.0, 0.0])
UPPER = np.array([7.0, 1e-3])

# name -> (transform, support of its image, bounds or None)
CASES = {
    "identity": (T.identity, C.real, None),
    "log": (T.log, C.positive, None),
    "logit": (T.logit, C.unit_interval, None),
    "interval": (T.interval, C.interval("lower", "upper"), (LOWER, UPPER)),
}
NAMES = list(CASES)


def _shape_y(name, y):
    y = np.asarray(y, dtype=np.float64)
    return y[:, None] if CASES[name][2] is not None else y


def _bounds(name):
    b = CASES[name][2]
    return (None, None) if b is None else (jnp.asarray(b[0]), jnp.asarray(b[1]))


def _forward(name, y):
    lo, hi = _bounds(name)
    return CASES[name][0].forward(y, lo, hi)


def _inverse(name, x):
    lo, hi = _bounds(name)
    return CASES[name][0].inverse(x, lo, hi)


def _ldj(name, y):
    lo, hi = _bounds(name)
    return CASES[name][0].log_det_jacobian(y, lo, hi)


def _params(name):
    b = CASES[name][2]
    return {} if b is None else {"lower": b[0], "upper": b[1]}


def _log_abs_grad_forward(name, y):
    """log |d forward / dy| by autodiff, elementwise (vmap of grad over every element)."""
    lo, hi = _bounds(name)
    t = CASES[name][0]
    if lo is None:
        d = jax.vmap(jax.grad(lambda v: t.forward(v)))(y)
    else:
        # one column per bound pair: grad w.r.t. the scalar y with that column's bounds
        d = jax.vmap(
            jax.vmap(jax.grad(lambda v, a, b: t.forward(v, a, b)), in_axes=(None, 0, 0)),
            in_axes=(0, None, None),
        )(y[:, 0], lo, hi)
    return jnp.log(jnp.abs(d))


# ---------------------------------------------------------------------------------------
# Round trips and the image
# ---------------------------------------------------------------------------------------

MODERATE_Y = np.concatenate([np.linspace(-10.0, 10.0, 41), [-1e-8, 1e-8]])
# log is accurate over its whole finite range
LOG_Y = np.array([-700.0, -300.0, -40.0, -1.0, 0.0, 1e-8, 2.5, 40.0, 300.0, 700.0])


def _y_for(name):
    return LOG_Y if name in ("identity", "log") else MODERATE_Y


@pytest.mark.parametrize("name", NAMES)
def test_inverse_of_forward_is_identity(name):
    y = _shape_y(name, _y_for(name))
    back = np.asarray(_inverse(name, _forward(name, jnp.asarray(y))))
    assert back.shape == np.broadcast_shapes(y.shape, *(np.shape(b) for b in (CASES[name][2] or ())))
    want = np.broadcast_to(y, back.shape)
    # Recovering y from x = sigmoid(y) is ill-conditioned by a factor of about 1 + e^|y|:
    # 1 - x keeps only eps / (1 - x) relative digits. |y| <= 10 bounds that to ~2.4e-12.
    eps = np.finfo(np.float64).eps
    atol = 4 * eps * (1.0 + np.exp(np.abs(want)))
    if name == "identity":
        atol = np.full(want.shape, 1e-300)
    if name == "log":
        # log(exp(y)): exp's relative rounding becomes an absolute error of ~eps in y
        atol = np.full(want.shape, 2 * eps)
    np.testing.assert_array_less(np.abs(back - want), 1e-13 * np.abs(want) + atol)


X_INSIDE = {
    "identity": np.array([-1e300, -5.0, 0.0, 1e-300, 3.0, 1e300]),
    "log": np.array([1e-300, 1e-10, 0.5, 1.0, 7.0, 1e10, 1e300]),
    "logit": np.array([1e-300, 1e-10, 1e-3, 0.25, 0.5, 0.75, 1 - 1e-3, 1 - 1e-10, 1 - 2**-52]),
    # per column: inside (-3, 7) and inside (0, 1e-3)
    "interval": np.array(
        [[-3.0 + 1e-9, 1e-300], [-2.5, 1e-9], [0.0, 2.5e-4], [2.0, 5e-4], [6.9, 9.99e-4], [7.0 - 1e-9, 1e-3 * (1 - 1e-12)]]
    ),
}


@pytest.mark.parametrize("name", NAMES)
def test_forward_of_inverse_is_identity(name):
    x = X_INSIDE[name]
    assert np.all(CASES[name][1].contains(x, _params(name)))
    again = np.asarray(_forward(name, _inverse(name, jnp.asarray(x))))
    # lower + (upper - lower) * s rounds at the scale of the bounds, not of x: at x = 0 in
    # (-3, 7) the sum -3 + 3 carries an absolute error of a few eps * 3.
    atol = 0.0 if name != "interval" else 4 * np.finfo(np.float64).eps * np.maximum(np.abs(LOWER), np.abs(UPPER))
    np.testing.assert_array_less(np.abs(again - x), 1e-12 * np.abs(x) + atol + 1e-320)


@pytest.mark.parametrize("name", NAMES)
def test_forward_lands_inside_the_support(name):
    # |y| <= 30: sigmoid(30) = 1 - 9.4e-14 is still below 1 in float64; from about y = 37
    # on it rounds to 1.0, the closed end, which no transform can avoid in floating point.
    y = np.linspace(-30.0, 30.0, 121) if name in ("logit", "interval") else np.concatenate(
        [np.linspace(-700.0, 700.0, 141), [0.0]]
    )
    x = np.asarray(_forward(name, jnp.asarray(_shape_y(name, y))))
    assert x.dtype == np.float64
    assert np.all(CASES[name][1].contains(x, _params(name)))


# ---------------------------------------------------------------------------------------
# log-Jacobians
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_log_det_jacobian_matches_autodiff(name):
    y = _shape_y(name, np.concatenate([np.linspace(-15.0, 15.0, 61), [-1e-3, 1e-3, 0.3]]))
    got = np.asarray(_ldj(name, jnp.asarray(y)))
    want = np.asarray(_log_abs_grad_forward(name, jnp.asarray(y)))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


# At large |y| autodiff of the forward map is no reference for logit and interval: JAX
# differentiates sigmoid as s * (1 - s), and once s = sigmoid(y) rounds to 1.0 (y >~ 37)
# the factor 1 - s is exactly 0, so log|dx/dy| comes out as -inf (and before that, 1 - s
# has lost most of its digits). The reference there is the closed form
#   log s(y) + log s(-y) = -|y| - 2 log1p(exp(-|y|)),
# which is -|y| to within 2e-16 for |y| >= 40.
EXTREME_Y = np.array([-700.0, -40.0, 40.0, 700.0])


def _asymptotic_ldj(name, y):
    if name == "identity":
        return np.zeros_like(y)
    if name == "log":
        return y
    sig = -np.abs(y) - 2.0 * np.log1p(np.exp(-np.abs(y)))
    if name == "logit":
        return sig
    return np.log(UPPER - LOWER) + sig


@pytest.mark.parametrize("name", NAMES)
def test_log_det_jacobian_in_the_tails(name):
    y = _shape_y(name, EXTREME_Y)
    got = np.asarray(_ldj(name, jnp.asarray(y)))
    assert np.all(np.isfinite(got))
    want = np.broadcast_to(_asymptotic_ldj(name, y), got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0 if name != "identity" else 1e-300)


def test_log_det_jacobian_of_logit_is_about_minus_abs_y():
    y = jnp.asarray(EXTREME_Y)
    np.testing.assert_allclose(np.asarray(T.logit.log_det_jacobian(y)), -np.abs(EXTREME_Y), rtol=1e-15)


# ---------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "support, expected",
    [
        pytest.param(C.real, T.identity, id="real->identity"),
        pytest.param(C.positive, T.log, id="positive->log"),
        pytest.param(C.unit_interval, T.logit, id="unit_interval->logit"),
        pytest.param(exmc.Uniform.support, T.interval, id="Uniform.support->interval"),
        pytest.param(C.interval(-3.0, 7.0), T.interval, id="interval(-3,7)->interval"),
        pytest.param(exmc.Normal.support, T.identity, id="Normal->identity"),
        pytest.param(exmc.Gamma.support, T.log, id="Gamma->log"),
        pytest.param(exmc.Beta.support, T.logit, id="Beta->logit"),
    ],
)
def test_default_transform(support, expected):
    assert T.default_transform(support) is expected
    assert T.resolve_transform(None, support) is expected
    assert expected.maps_onto(support)


@pytest.mark.parametrize(
    "support",
    [
        pytest.param(C.boolean, id="boolean"),
        pytest.param(C.nonnegative_integer, id="nonnegative_integer"),
        pytest.param(C.nonnegative, id="nonnegative"),
        pytest.param(C.closed_unit_interval, id="closed_unit_interval"),
        pytest.param(exmc.Binomial.support, id="Binomial.support"),
    ],
)
def test_no_default_transform_for_discrete_or_closed_supports(support):
    with pytest.raises(KeyError):
        T.default_transform(support)


def test_registry_names():
    assert set(T.TRANSFORMS) == {
        "identity", "log", "logit", "interval", "simplex", "ordered", "corr_cholesky", "zero_sum"
    }
    for name, t in T.TRANSFORMS.items():
        assert t.name == name


@pytest.mark.parametrize(
    "choice, support, message",
    [
        pytest.param("nope", C.real, "unknown transform 'nope'", id="unknown-name"),
        pytest.param("Log", C.positive, "unknown transform", id="names-are-case-sensitive"),
        pytest.param("log", exmc.Normal.support, "does not map", id="log-on-real"),
        pytest.param("identity", C.positive, "does not map", id="identity-on-positive"),
        pytest.param("logit", C.real, "does not map", id="logit-on-real"),
        pytest.param("logit", C.positive, "does not map", id="logit-on-positive"),
        pytest.param("log", C.unit_interval, "does not map", id="log-on-unit-interval"),
        pytest.param("interval", C.real, "does not map", id="interval-on-real"),
        pytest.param("interval", C.positive, "does not map", id="interval-on-positive"),
        pytest.param("interval", C.closed_unit_interval, "does not map", id="interval-on-closed"),
        pytest.param("identity", C.boolean, "does not map", id="identity-on-boolean"),
        pytest.param(T.log, C.real, "does not map", id="Transform-object-on-wrong-support"),
        pytest.param(3, C.real, "must be a name or an exmc Transform", id="not-a-transform"),
        pytest.param(jnp.exp, C.positive, "must be a name or an exmc Transform", id="a-function"),
    ],
)
def test_resolve_transform_rejects(choice, support, message):
    with pytest.raises(ValueError, match=message):
        T.resolve_transform(choice, support)


@pytest.mark.parametrize(
    "choice, support, expected",
    [
        pytest.param("interval", C.unit_interval, T.interval, id="interval-on-unit-interval"),
        pytest.param("logit", C.unit_interval, T.logit, id="logit-on-unit-interval"),
        pytest.param("identity", C.real, T.identity, id="identity-on-real"),
        pytest.param("log", C.positive, T.log, id="log-on-positive"),
        pytest.param("interval", exmc.Uniform.support, T.interval, id="interval-on-Uniform"),
        pytest.param(T.log, C.positive, T.log, id="Transform-object"),
    ],
)
def test_resolve_transform_accepts(choice, support, expected):
    assert T.resolve_transform(choice, support) is expected


def test_interval_transform_on_the_unit_interval_agrees_with_logit():
    # "interval" accepted for (0, 1) must behave as logit there, Jacobian included
    y = jnp.asarray(np.linspace(-20.0, 20.0, 41))
    lo, hi = jnp.asarray(0.0), jnp.asarray(1.0)
    np.testing.assert_allclose(
        np.asarray(T.interval.forward(y, lo, hi)), np.asarray(T.logit.forward(y)), rtol=1e-15
    )
    np.testing.assert_allclose(
        np.asarray(T.interval.log_det_jacobian(y, lo, hi)),
        np.asarray(T.logit.log_det_jacobian(y)),
        rtol=1e-15,
    )
