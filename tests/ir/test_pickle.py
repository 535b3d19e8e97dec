"""A model can be pickled and deep-copied (to send it to another process, to keep a copy):
the copy equals the original, has its fingerprint, stays read-only, and samples the same
draws. Its mappings were MappingProxyTypes, which neither pickle nor deepcopy accepts."""

import copy
import pickle

import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc.fingerprint import fingerprint


def _mu(ab, x):  # a module-level function: pickle stores functions by name
    return ab[0] + ab[1] * x


X = np.linspace(0.0, 1.0, 5)


def model():
    return (
        Builder.new_ir(coords={"coef": ("a", "b")})
        .data("x", X)
        .rv("ab", exmc.Normal, {"mu": 0.0, "sigma": 2.0}, shape=2, dims="coef")
        .rv("sigma", exmc.HalfNormal, {"sigma": 1.0})
        .det("mu", _mu, ["ab", "x"])
        .rv("y", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("y_obs", "y", np.array([0.1, 0.4, 0.5, 0.9, 1.2]))
    )


@pytest.mark.parametrize("copier", [lambda ir: pickle.loads(pickle.dumps(ir)), copy.deepcopy], ids=["pickle", "deepcopy"])
def test_a_copied_model_equals_the_original_and_stays_read_only(copier):
    ir = model()
    other = copier(ir)
    assert other == ir and other is not ir
    assert fingerprint(other) == fingerprint(ir)
    assert dict(other.coords) == {"coef": ("a", "b")}
    with pytest.raises(TypeError):
        other["ab"].params["sigma"] = 3.0
    with pytest.raises(TypeError):
        other.coords["coef"] = ("c",)


def test_an_unpickled_model_samples_the_same_draws():
    ir = model()
    settings = dict(draws=30, tune=30, chains=1, seed=5)
    original = exmc.sample(ir, **settings)
    again = exmc.sample(pickle.loads(pickle.dumps(ir)), **settings)
    for name in ("ab", "sigma", "mu"):
        np.testing.assert_array_equal(again.posterior[name], original.posterior[name])
