"""Counter-based random numbers for the compiled sampler: splitmix64 of seed + counter.

Every random number a transition needs (its momentum, the uniforms of its leaves and
doublings, the step-size search's momenta) is ``mix(seed, counter)`` for the transition's
64-bit seed and a counter in a range of its own, and the transition's seed is
``mix(chain_seed, iteration)``. A draw is a few fused integer operations; a threefry hash
per call (JAX's default) costs several while loops of compiled code and their run time
(decision 28). splitmix64 is the generator behind Java's SplittableRandom and the seeding
of xoshiro; its finaliser is a bijection with full avalanche, so distinct counters give
independent-looking 64-bit words.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB

# Counter ranges within one transition's seed.
LEAVES = 0                 # leaf i of doubling d: 2**d - 1 + i  (< 2**31)
DOUBLINGS = 1 << 40        # doubling d: DOUBLINGS + 2d (direction), + 2d + 1 (acceptance)
MOMENTUM = 1 << 41         # the transition's momentum: MOMENTUM + [0, dim + 1)
SEARCH = 1 << 42           # step-size search, trial t: SEARCH + t * 2**32 + [0, dim + 1)


def mix(seed, counter):
    """splitmix64(seed + (counter + 1) * golden), as uint64 (traced or not)."""
    z = jnp.asarray(seed, jnp.uint64) + (jnp.asarray(counter).astype(jnp.uint64) + jnp.uint64(1)) * jnp.uint64(GOLDEN)
    z = (z ^ (z >> jnp.uint64(30))) * jnp.uint64(MIX1)
    z = (z ^ (z >> jnp.uint64(27))) * jnp.uint64(MIX2)
    return z ^ (z >> jnp.uint64(31))


def uniform(seed, counter, dtype):
    """A uniform in [0, 1) with 53 random bits."""
    return (mix(seed, counter) >> jnp.uint64(11)).astype(dtype) * np.dtype(dtype).type(2.0**-53)


def normal(seed, counter, shape: tuple[int, ...], dtype):
    """Standard normals from counters ``counter + [0, 2 ceil(size / 2))``, by Box-Muller
    (each pair of uniforms gives two normals)."""
    size = int(np.prod(shape, dtype=np.int64))
    pairs = (size + 1) // 2
    base = jnp.asarray(counter).astype(jnp.uint64) + jnp.uint64(2) * jnp.arange(pairs, dtype=jnp.uint64)
    u1 = uniform(seed, base, dtype)
    u2 = uniform(seed, base + jnp.uint64(1), dtype)
    radius = jnp.sqrt(-2.0 * jnp.log1p(-u1))  # 1 - u1 in (0, 1]: no log(0)
    angle = (2.0 * np.pi) * u2
    z = jnp.concatenate([radius * jnp.cos(angle), radius * jnp.sin(angle)])
    return z[:size].reshape(shape)


def host_mix(seed: int, counter: int) -> np.uint64:
    """``mix`` on the host, for chain seeds (no compilation)."""
    mask = (1 << 64) - 1
    # Python ints: numpy integers (a seed of np.int64(3)) would overflow in this arithmetic
    z = (int(seed) + (int(counter) + 1) * GOLDEN) & mask
    z = ((z ^ (z >> 30)) * MIX1) & mask
    z = ((z ^ (z >> 27)) * MIX2) & mask
    return np.uint64(z ^ (z >> 31))
