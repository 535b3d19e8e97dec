"""The NUTS kernel alone, at fixed step sizes, where warmup cannot hide a biased kernel.

With adaptation on, a kernel bug can be masked: the seed's variance-inflation bug (a
trajectory end extended with another point's gradient) makes dual averaging shrink the step
size until the bias nearly vanishes. At a fixed step size it cannot hide.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from exmc.diagnostics import ess
from exmc.sampler.nuts import State, nuts_step

pytestmark = pytest.mark.slow


def run_kernel(logp, dim, step_size, draws, chains=4, seed=0, inv_mass=None, max_treedepth=10):
    logp_and_grad = jax.value_and_grad(logp)
    inv_mass = np.ones(dim) if inv_mass is None else np.asarray(inv_mass, dtype=np.float64)

    def chain(key):
        q0 = jnp.zeros(dim)
        value, grad = logp_and_grad(q0)

        def step(state, k):
            seed = jax.random.bits(k, dtype=jnp.uint64)
            state, info = nuts_step(seed, state, logp_and_grad, step_size, inv_mass, max_treedepth)
            return state, (state.q, info)

        return jax.lax.scan(step, State(q0, value, grad), jax.random.split(key, draws))[1]

    with jax.enable_x64(True):
        q, info = jax.jit(jax.vmap(chain))(jax.random.split(jax.random.key(seed), chains))
        return np.asarray(q)[:, 200:], jax.tree.map(np.asarray, info)


def check(draws: np.ndarray, truth: float, what: str) -> None:
    tolerance = 5.0 * draws.std() / np.sqrt(ess(draws))
    assert abs(draws.mean() - truth) < tolerance, f"{what}: {draws.mean():.4f} vs {truth} (tol {tolerance:.4f})"


@pytest.mark.parametrize("step_size", [0.25, 0.9, 1.6])
def test_fixed_step_kernel_keeps_a_standard_normal_invariant(step_size):
    q, info = run_kernel(lambda x: -0.5 * jnp.sum(x * x), 10, step_size, draws=4000)
    check((q**2).mean(-1), 1.0, f"E[x^2] at step {step_size}")
    check(q.mean(-1), 0.0, f"E[x] at step {step_size}")
    check((q**4).mean(-1), 3.0, f"E[x^4] at step {step_size}")


def test_fixed_step_kernel_with_a_metric_on_a_correlated_gaussian():
    scales = np.array([0.5, 2.0, 1.0])
    corr = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 1.0]])
    cov = corr * scales[:, None] * scales[None, :]
    precision = np.linalg.inv(cov)
    q, _ = run_kernel(lambda x: -0.5 * x @ precision @ x, 3, 0.4, draws=5000, inv_mass=scales**2)
    for i in range(3):
        for j in range(i, 3):
            check(q[..., i] * q[..., j], cov[i, j], f"cov[{i},{j}]")


def test_divergences_are_flagged_and_the_max_treedepth_caps_the_tree():
    # Beyond step 2 the leapfrog is unstable on a unit Normal (growth x6.9 a step at 3);
    # below it the energy error stays bounded and nothing may be flagged.
    _, info = run_kernel(lambda x: -0.5 * jnp.sum(x * x), 2, 3.0, draws=300, max_treedepth=3)
    assert info.diverging.sum() > 20
    _, info = run_kernel(lambda x: -0.5 * jnp.sum(x * x), 2, 0.5, draws=300, max_treedepth=3)
    assert info.diverging.sum() == 0
    _, info = run_kernel(lambda x: -0.5 * jnp.sum(x * x), 2, 0.01, draws=50, max_treedepth=3)
    assert info.tree_depth.max() == 3 and info.n_steps.max() == 7
