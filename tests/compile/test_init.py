"""Initial points: Stan's uniform(-2, 2) rule, reproducibility, retries, init_values."""

from __future__ import annotations

import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc.demo import readme_model as readme_ir


def test_initial_point_is_uniform_in_minus_two_two_and_reproducible():
    model = exmc.compile_model(readme_ir())
    points = np.array([model.initial_point(seed=11, chain=c) for c in range(50)])
    assert points.shape == (50, 2)
    assert np.all(np.abs(points) < 2.0)
    np.testing.assert_array_equal(points[3], model.initial_point(seed=11, chain=3))
    assert len({tuple(p) for p in points}) == 50
    assert not np.array_equal(model.initial_point(seed=12), model.initial_point(seed=11))


def test_non_finite_points_are_retried():
    # The Uniform's lower bound a is a free Normal; where a >= 1 = upper the log-density is not
    # finite, which a uniform(-2, 2) draw of a hits a quarter of the time.
    ir = (
        Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("u", exmc.Uniform, {"lower": "a", "upper": 1.0})
    )
    model = exmc.compile_model(ir)
    first_draws = [np.random.default_rng([seed, 0]).uniform(-2, 2, size=2)[0] for seed in range(20)]
    assert any(a >= 1.0 for a in first_draws)  # so some seeds must have retried
    for seed in range(20):
        point = model.initial_point(seed=seed)
        value, grad = model.logp_and_grad(point)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        assert model.to_constrained(point)["a"] < 1.0


def test_init_values_are_constrained_values_and_override_the_draw():
    model = exmc.compile_model(readme_ir())
    point = model.initial_point(seed=0, init_values={"sigma": 0.5})
    values = model.to_constrained(point)
    assert values["sigma"] == pytest.approx(0.5, rel=1e-14)
    assert point[model.layout["sigma"].slice][0] == pytest.approx(np.log(0.5))


def test_init_values_respect_bounds_given_by_other_nodes():
    ir = (
        Builder.new_ir()
        .rv("k", exmc.Gamma, {"alpha": 3.0, "beta": 1.0})
        .rv("u", exmc.Uniform, {"lower": 0.0, "upper": "k"}, shape=2)
    )
    model = exmc.compile_model(ir)
    point = model.initial_point(seed=1, init_values={"k": 4.0, "u": [1.0, 3.5]})
    values = model.to_constrained(point)
    np.testing.assert_allclose(values["u"], [1.0, 3.5], rtol=1e-12)


def test_scalar_init_value_broadcasts_to_a_vector_variable():
    ir = Builder.new_ir().rv("b", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=4)
    model = exmc.compile_model(ir)
    np.testing.assert_allclose(model.initial_point(init_values={"b": 0.25}), 0.25)


def test_failure_after_all_attempts_names_the_node():
    ir = (
        Builder.new_ir()
        .rv("a", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
        .rv("u", exmc.Uniform, {"lower": "a", "upper": 1.0})
    )
    model = exmc.compile_model(ir)
    with pytest.raises(exmc.InitializationError, match="'u'") as err:
        model.initial_point(init_values={"a": 1.5})
    assert err.value.node == "u"
    assert "100 initial points" in str(err.value)
