"""The sampler's counter-based generator (decision 28): uniform, normal, independent streams."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from exmc.sampler import rng

N = 200_000


def draws(fn):
    with jax.enable_x64(True):
        return np.asarray(jax.jit(fn)())


def test_mix_on_the_host_equals_mix_compiled():
    for seed, counter in [(0, 0), (1, 7), (2**64 - 1, 3), (123456789, 2**40)]:
        compiled = draws(lambda: rng.mix(np.uint64(seed), np.uint64(counter)))
        assert compiled == rng.host_mix(seed, counter)


def test_uniforms_are_uniform_and_consecutive_counters_uncorrelated():
    u = draws(lambda: rng.uniform(np.uint64(42), jnp.arange(N, dtype=jnp.uint64), jnp.float64))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # 5 sigma for a correlation of N independent pairs
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / np.sqrt(N)


def test_normals_are_standard_normal_and_pairs_independent():
    z = draws(lambda: rng.normal(np.uint64(7), np.uint64(rng.MOMENTUM), (N,), jnp.float64))
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 5 / np.sqrt(N) and abs(z.var() - 1) < 5 * np.sqrt(2 / N)
    half = N // 2  # the cosine and sine of one pair
    assert abs(np.corrcoef(z[:half], z[half:])[0, 1]) < 5 / np.sqrt(half)
    assert abs(np.corrcoef(z[:half] ** 2, z[half:] ** 2)[0, 1]) < 5 / np.sqrt(half)
    odd = draws(lambda: rng.normal(np.uint64(7), np.uint64(0), (3, 5), jnp.float64))
    assert odd.shape == (3, 5) and np.all(np.isfinite(odd))


def test_streams_of_neighbouring_seeds_are_uncorrelated():
    """Iteration seeds are mix(chain_seed, iteration): the momenta of successive iterations
    and of chains 0 and 1 must look independent."""
    chain_seeds = [rng.host_mix(0, c) for c in range(2)]

    def momenta(chain_seed):
        seeds = rng.mix(chain_seed, jnp.arange(2000, dtype=jnp.uint64))
        return jax.vmap(lambda s: rng.normal(s, np.uint64(rng.MOMENTUM), (50,), jnp.float64))(seeds)

    a, b = draws(lambda: momenta(chain_seeds[0])), draws(lambda: momenta(chain_seeds[1]))
    n = a.size
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 5 / np.sqrt(n)
    assert abs(np.corrcoef(a[:-1].ravel(), a[1:].ravel())[0, 1]) < 5 / np.sqrt(n)
    assert stats.kstest(a.ravel(), "norm").pvalue > 1e-3
