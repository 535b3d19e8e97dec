"""Models with reference posteriors: the data and the Exmc IR (``make_reference.py`` adds
the same models in NumPyro and stores long-run posterior summaries beside this file)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import exmc
from exmc import Builder


def hierarchical_data():
    rng = np.random.default_rng(2024)
    groups = np.repeat(np.arange(8), 6)
    alpha = 1.0 + 0.8 * rng.normal(size=8)
    y = alpha[groups] + rng.normal(scale=1.5, size=groups.size)
    return groups, y


def hierarchical() -> exmc.IR:
    """Varying intercepts: 8 groups of 6 observations; written centered."""
    groups, y = hierarchical_data()
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("tau", exmc.HalfNormal, {"sigma": 2.0})
        .rv("alpha", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=8)
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .det("alpha_obs", lambda a: a[jnp.asarray(groups)], "alpha")
        .rv("y", exmc.Normal, {"mu": "alpha_obs", "sigma": "sigma"})
        .obs("y_obs", "y", y)
    )


def logistic_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 4))
    beta = np.array([1.0, -0.5, 0.0, 2.0])
    p = 1.0 / (1.0 + np.exp(-(0.3 + X @ beta)))
    return X, (rng.uniform(size=200) < p).astype(float)


def logistic() -> exmc.IR:
    """Logistic regression, 4 predictors and an intercept, 200 observations."""
    X, y = logistic_data()
    return (
        Builder.new_ir()
        .rv("intercept", exmc.Normal, {"mu": 0.0, "sigma": 2.5})
        .rv("beta", exmc.Normal, {"mu": 0.0, "sigma": 2.5}, shape=4)
        .det("eta", lambda a, b: a + jnp.asarray(X) @ b, ["intercept", "beta"])
        .rv("y", exmc.Bernoulli, {"logit_p": "eta"})
        .obs("y_obs", "y", y)
    )


MODELS = {"hierarchical": hierarchical, "logistic": logistic}
PARAMETERS = {"hierarchical": ["mu", "tau", "alpha", "sigma"], "logistic": ["intercept", "beta"]}
