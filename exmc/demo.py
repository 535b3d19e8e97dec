"""``make demo``: build the README's model, compile it, show what the compiler made, and
sample it (and eight schools, which Exmc non-centers) with NUTS."""

from __future__ import annotations

import numpy as np

import exmc
from exmc import Builder
from exmc.diagnostics import ess


def readme_model() -> exmc.IR:
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("x_obs", "x", np.array([2.1, 1.8, 2.5]))
    )


def eight_schools() -> exmc.IR:
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("tau", exmc.HalfCauchy, {"beta": 5.0})
        .rv("theta", exmc.Normal, {"mu": "mu", "sigma": "tau"}, shape=8)
        .rv("y", exmc.Normal, {"mu": "theta", "sigma": np.array([15.0, 10, 16, 11, 9, 11, 10, 18])})
        .obs("y_obs", "y", np.array([28.0, 8, -3, 7, -1, 1, 18, 12]))
    )


def show(title: str, ir: exmc.IR, seed: int = 0) -> None:
    model = exmc.compile_model(ir)
    print(f"== {title}")
    print(ir.describe())
    print(f"\nfree parameters (flat vector of length {model.dim}, unconstrained):")
    for block in model.layout.blocks:
        aux = f"  auxiliary for {model.auxiliary[block.name]}" if block.name in model.auxiliary else ""
        print(f"  [{block.offset}:{block.offset + block.size}] {block.name}{list(block.shape) if block.shape else ''}"
              f"  transform={block.transform.name}{aux}")
    print("rewrites:" + ("" if model.rewrites else " none"))
    for rewrite in model.rewrites:
        print(f"  {rewrite}")
    point = model.initial_point(seed=seed)
    value, grad = model.logp_and_grad(point)
    print(f"initial point (seed {seed}), constrained:")
    for name, v in model.to_constrained(point).items():
        print(f"  {name} = {np.array2string(np.asarray(v), precision=4)}")
    print(f"log-density there: {value:.6f}   |gradient| = {np.linalg.norm(grad):.4f}\n")


def sample(ir: exmc.IR, draws: int = 1000) -> None:
    trace = exmc.sample(ir, draws=draws, tune=1000, chains=4, seed=0)
    print(f"{'':12s} {'mean':>8s} {'sd':>8s} {'ESS':>7s}")
    for name, values in trace.posterior.items():
        if name in trace.auxiliary:
            continue
        flat = values.reshape(values.shape[0], values.shape[1], -1)
        for j in range(flat.shape[-1]):
            label = name if flat.shape[-1] == 1 else f"{name}[{j}]"
            x = flat[..., j]
            print(f"{label:12s} {x.mean():8.3f} {x.std():8.3f} {ess(x):7.0f}")
    divergences = int(trace.sample_stats["diverging"].sum())
    print(f"divergences: {divergences} of {trace.n_chains * trace.n_draws} draws\n")


def main(draws: int = 1000) -> None:
    show("The README's model", readme_model())
    sample(readme_model(), draws)
    show("Eight schools, written centered (Exmc non-centers it)", eight_schools())
    sample(eight_schools(), draws)


if __name__ == "__main__":
    main()
