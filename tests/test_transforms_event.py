"""The transforms of whole vectors and matrices (decision 41): round trips exact to 1e-12,
images inside the support, log|det J| against autodiff (for those that change dimension,
the Jacobian of the map from the unconstrained vector to the value's free coordinates),
shapes, the registry, and a user's own Transform through the whole pipeline.

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


def _free_simplex(x):
    return x[..., :-1]


def _free_tril(x):
    rows, cols = np.tril_indices(x.shape[-1], -1)
    return x[..., rows, cols]


# name -> (value shape, free coordinates of a value, its support)
CASES = {
    "simplex": ((5,), _free_simplex, C.simplex),
    "ordered": ((5,), lambda x: x, C.ordered),
    "zero_sum": ((5,), _free_simplex, C.zero_sum),
    "corr_cholesky": ((4, 4), _free_tril, C.corr_cholesky),
}
NAMES = list(CASES)
BATCH = 3


def _y(name, spread, seed=0):
    shape, _, _ = CASES[name]
    t = T.TRANSFORMS[name]
    return np.random.default_rng(seed).uniform(-spread, spread, (BATCH,) + t.unconstrained_shape(shape))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spread", [0.1, 1.0, 3.0])
def test_round_trip_is_exact(name, spread):
    t = T.TRANSFORMS[name]
    y = _y(name, spread)
    x = t.forward(jnp.asarray(y))
    assert x.shape == (BATCH,) + CASES[name][0]
    np.testing.assert_allclose(np.asarray(t.inverse(x)), y, rtol=0, atol=1e-12)
    # and the other way, from values in the support
    np.testing.assert_allclose(np.asarray(t.forward(t.inverse(x))), np.asarray(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spread", [0.5, 3.0, 8.0])
def test_image_lies_in_the_support(name, spread):
    x = np.asarray(T.TRANSFORMS[name].forward(jnp.asarray(_y(name, spread, seed=1))))
    assert np.all(CASES[name][2].contains(x))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spread", [0.5, 2.0, 4.0])
def test_log_det_jacobian_matches_autodiff_on_the_free_coordinates(name, spread):
    t = T.TRANSFORMS[name]
    _, free, _ = CASES[name]
    y = _y(name, spread, seed=2)
    got = np.asarray(t.log_det_jacobian(jnp.asarray(y)))
    assert got.shape == (BATCH,)  # one value per event
    for b in range(BATCH):
        jac = jax.jacobian(lambda v: free(t.forward(v)))(jnp.asarray(y[b]))
        assert jac.shape[0] == jac.shape[1]  # as many free coordinates as unconstrained ones
        sign, logdet = np.linalg.slogdet(np.asarray(jac))
        assert sign != 0
        assert got[b] == pytest.approx(logdet, rel=1e-10, abs=1e-10)


def test_shapes_of_the_unconstrained_values():
    assert T.TRANSFORMS["simplex"].unconstrained_shape((7, 4)) == (7, 3)
    assert T.TRANSFORMS["zero_sum"].unconstrained_shape((4,)) == (3,)
    assert T.TRANSFORMS["ordered"].unconstrained_shape((2, 4)) == (2, 4)
    assert T.TRANSFORMS["corr_cholesky"].unconstrained_shape((5, 5)) == (10,)
    assert T.TRANSFORMS["corr_cholesky"].check_shape((3, 4)) is not None
    assert T.TRANSFORMS["simplex"].check_shape(()) is not None
    assert T.log.unconstrained_shape((2, 3)) == (2, 3) and T.log.check_shape((2, 3)) is None


def test_defaults_follow_the_support():
    assert T.default_transform(exmc.Dirichlet.support) is T.TRANSFORMS["simplex"]
    assert T.default_transform(exmc.LKJCholesky.support) is T.TRANSFORMS["corr_cholesky"]
    assert T.default_transform(exmc.ZeroSumNormal.support) is T.TRANSFORMS["zero_sum"]
    # ordered and zero_sum restrict a real-valued variable (a mixture's means)
    assert T.resolve_transform("ordered", C.real).name == "ordered"
    assert T.resolve_transform("zero_sum", C.real).name == "zero_sum"
    with pytest.raises(ValueError, match="does not map"):
        T.resolve_transform("simplex", C.real)
    with pytest.raises(ValueError, match="does not map"):
        T.resolve_transform("ordered", C.positive)


def test_simplex_keeps_its_digits_near_the_corners():
    t = T.TRANSFORMS["simplex"]
    x = jnp.array([1e-12, 1e-9, 1.0 - 1e-9 - 2e-12, 1e-12])
    back = t.forward(t.inverse(x))
    np.testing.assert_allclose(np.asarray(back), np.asarray(x), rtol=1e-9)


class Exp2(T.Transform):
    """A user's own transform onto the positive reals: x = 2^y."""

    def forward(self, y, lower=None, upper=None):
        return jnp.exp2(y)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log2(x)

    def log_det_jacobian(self, y, lower=None, upper=None):
        return y * np.log(2.0) + np.log(np.log(2.0))

    def maps_onto(self, support):
        return support == C.positive


class SoftmaxCentered(T.Transform):
    """A user's own dimension-changing transform: K-1 reals onto the simplex by
    x = softmax([y, 0]); log|J| on the first K-1 entries = sum(log x).
    """

    event_dims = 1

    def unconstrained_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def forward(self, y, lower=None, upper=None):
        return jax.nn.softmax(jnp.concatenate([y, jnp.zeros(y.shape[:-1] + (1,))], -1), -1)

    def inverse(self, x, lower=None, upper=None):
        return jnp.log(x[..., :-1]) - jnp.log(x[..., -1:])

    def log_det_jacobian(self, y, lower=None, upper=None):
        return jnp.sum(jnp.log(self.forward(y)), -1)

    def maps_onto(self, support):
        return support == C.simplex


def test_a_users_transform_instance_works_through_the_pipeline():
    data = np.array([[3.0, 1.0, 6.0], [2.0, 2.0, 6.0]])
    base = (
        exmc.Builder.new_ir()
        .rv("s", exmc.HalfNormal, {"sigma": 1.0}, transform=Exp2("exp2"))
        .rv("p", exmc.Dirichlet, {"a": np.ones(3)}, transform=SoftmaxCentered("softmax"))
        .rv("y", exmc.Multinomial, {"n": 10.0, "p": "p"})
        .obs("y_obs", "y", data)
    )
    mine = exmc.compile_model(base)
    stock = exmc.compile_model(
        exmc.Builder.new_ir()
        .rv("s", exmc.HalfNormal, {"sigma": 1.0})
        .rv("p", exmc.Dirichlet, {"a": np.ones(3)})
        .rv("y", exmc.Multinomial, {"n": 10.0, "p": "p"})
        .obs("y_obs", "y", data)
    )
    assert mine.dim == stock.dim == 3
    assert mine.layout.labels() == ["s", "p:softmax[0]", "p:softmax[1]"]
    point = mine.initial_point(seed=0, init_values={"s": 0.5, "p": [0.2, 0.3, 0.5]})
    values = mine.to_constrained(point)
    assert values["s"] == pytest.approx(0.5) and values["p"] == pytest.approx([0.2, 0.3, 0.5])
    # the same constrained point through the stock transforms: the densities of the
    # unconstrained values differ by the two transforms' log-Jacobians only
    other = stock.initial_point(seed=0, init_values={"s": 0.5, "p": [0.2, 0.3, 0.5]})
    assert stock.to_constrained(other)["p"] == pytest.approx([0.2, 0.3, 0.5])
    with jax.enable_x64(True):
        y_p = SoftmaxCentered("softmax").inverse(jnp.array([0.2, 0.3, 0.5]))
        jac_mine = float(SoftmaxCentered("softmax").log_det_jacobian(y_p)) + float(
            Exp2("exp2").log_det_jacobian(jnp.log2(0.5)))
        y_s = T.TRANSFORMS["simplex"].inverse(jnp.array([0.2, 0.3, 0.5]))
        jac_stock = float(T.TRANSFORMS["simplex"].log_det_jacobian(y_s)) + np.log(0.5)
    assert mine.logp(point) - jac_mine == pytest.approx(stock.logp(other) - jac_stock, rel=1e-12)
    trace = exmc.sample(base, draws=50, tune=50, chains=1, seed=0, progressbar=False)
    assert trace.posterior["p"].shape == (1, 50, 3)
    np.testing.assert_allclose(trace.posterior["p"].sum(-1), 1.0, rtol=1e-12)
