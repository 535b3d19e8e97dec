"""Strict settings for every test: JAX dtype promotion strict; warnings are errors (pyproject)."""

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def x64():
    """Run the test body with float64 enabled, as Exmc's own entry points do."""
    with jax.enable_x64(True):
        yield
