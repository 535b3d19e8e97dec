"""``make demo``: build the README's model, compile it, and show what the compiler made.

Sampling arrives with the NUTS issue; for now the demo shows the model layer end to end.
"""

from __future__ import annotations

import numpy as np

import exmc
from exmc import Builder


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


def main() -> None:
    show("The README's model", readme_model())
    show("Eight schools, written centered (Exmc non-centers it)", eight_schools())


if __name__ == "__main__":
    main()
