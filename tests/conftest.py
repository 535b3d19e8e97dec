"""Strict settings for every test: JAX dtype promotion strict; warnings are errors (pyproject)."""

import gc
import os

# The persistent compilation cache stays out of the test process (decision 73): writing an
# executable to it crashed the suite once in JAX's serializer (a segfault in
# put_executable_and_time, after some thousand compilations). Its own tests run in child
# processes that set it explicitly (tests/test_compilation_cache.py).
os.environ["EXMC_COMPILATION_CACHE"] = "0"

import jax  # noqa: E402
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_code():
    """Each XLA executable holds a few memory maps of machine code, and a Linux process may
    hold 65530 maps (vm.max_map_count): past that, XLA's next compilation segfaults. The whole
    suite in one process compiles more than that (JAX keeps every eager operation's executable
    for each shape it met), so what a module compiled goes when the module is done. Models'
    compilations go with their IRs (decision 74)."""
    yield
    gc.collect()
    jax.clear_caches()


@pytest.fixture
def x64():
    """Run the test body with float64 enabled, as Exmc's own entry points do."""
    with jax.enable_x64(True):
        yield


def pytest_configure(config):
    """ArviZ, the reference for the diagnostics, takes a numba path when numba is installed
    (``make bench`` installs it, with nutpie) and then returns 1-element arrays where its
    NumPy path returns scalars: the references come from the NumPy path, installed or not."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz

    arviz.Numba.disable_numba()
