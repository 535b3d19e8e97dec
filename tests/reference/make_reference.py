"""Make the reference posteriors once, with long NumPyro runs (an independent sampler).

    .venv/bin/python tests/reference/make_reference.py      # needs the bench extra (numpyro)

Writes ``<model>.npz`` beside this file: per parameter, the posterior mean, sd, and the
ESS of each (so tests can account for the reference's own Monte Carlo error).
"""

from __future__ import annotations

import pathlib
import sys

import numpyro

numpyro.enable_x64()
numpyro.set_host_device_count(1)

import arviz as az  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as nd  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from models import hierarchical_data, logistic_data  # noqa: E402

HERE = pathlib.Path(__file__).parent


def hierarchical_numpyro():
    groups, y = hierarchical_data()

    def model():
        mu = numpyro.sample("mu", nd.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", nd.HalfNormal(2.0))
        with numpyro.handlers.reparam(config={"alpha": numpyro.infer.reparam.LocScaleReparam(0)}):
            alpha = numpyro.sample("alpha", nd.Normal(mu, tau).expand([8]))
        sigma = numpyro.sample("sigma", nd.HalfNormal(2.0))
        numpyro.sample("y", nd.Normal(alpha[groups], sigma), obs=y)

    return model


def logistic_numpyro():
    X, y = logistic_data()

    def model():
        intercept = numpyro.sample("intercept", nd.Normal(0.0, 2.5))
        beta = numpyro.sample("beta", nd.Normal(0.0, 2.5).expand([4]))
        numpyro.sample("y", nd.Bernoulli(logits=intercept + X @ beta), obs=y)

    return model


def summarise(samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for name, draws in samples.items():
        draws = np.asarray(draws)  # (chains, draws, *shape)
        flat = draws.reshape(draws.shape[0], draws.shape[1], -1)
        out[f"{name}/mean"] = draws.mean(axis=(0, 1))
        out[f"{name}/sd"] = draws.std(axis=(0, 1))
        ess_mean = [float(az.ess(flat[..., j], method="mean")) for j in range(flat.shape[-1])]
        ess_sq = [float(az.ess((flat[..., j] - flat[..., j].mean()) ** 2, method="mean")) for j in range(flat.shape[-1])]
        out[f"{name}/ess_mean"] = np.array(ess_mean).reshape(draws.shape[2:])
        out[f"{name}/ess_sq"] = np.array(ess_sq).reshape(draws.shape[2:])
    return out


def main() -> None:
    for name, make in {"hierarchical": hierarchical_numpyro, "logistic": logistic_numpyro}.items():
        mcmc = MCMC(NUTS(make(), target_accept_prob=0.9), num_warmup=2000, num_samples=25000,
                    num_chains=4, chain_method="sequential", progress_bar=False)
        mcmc.run(jax.random.key(20261124))
        samples = {k: v for k, v in mcmc.get_samples(group_by_chain=True).items() if not k.endswith("_decentered")}
        summary = summarise(samples)
        np.savez(HERE / f"{name}.npz", **summary)
        print(name, {k: np.round(v, 3) for k, v in summary.items() if k.endswith("/mean")})


if __name__ == "__main__":
    main()
