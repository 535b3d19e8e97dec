"""``make demo``: the README's model and eight schools, from the IR to a dashboard.

For each model: what the compiler made of it (the flat parameter vector, the rewrites, the
log-density at a starting point), then NUTS with the terminal progress bar, the posterior
summary, the divergences and the rewrite report. Last, the README model's trace as a
self-contained HTML dashboard (amber on black, BokehJS inlined: it opens offline), whose
path is printed.

    python -m exmc.demo [--draws N] [--tune N] [--out PATH]
"""

from __future__ import annotations

import argparse
import pathlib
import textwrap
import warnings

import numpy as np

import exmc
from exmc import Builder

DASHBOARD = pathlib.Path("build") / "exmc-dashboard.html"


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
    """Print the model, its flat parameter vector, the rewrites and the log-density at the
    seed's initial point."""
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


def format_summary(table) -> str:
    """``exmc.summary``'s table as text: ESS as whole numbers, R-hat to two decimals, the
    rest to three."""
    formats = {c: (lambda v: f"{v:.0f}") if c.startswith("ess") else
               (lambda v: f"{v:.2f}") if c == "r_hat" else (lambda v: f"{v:.3f}") for c in table.columns}
    return table.to_string(formatters=formats)


def sample(title: str, ir: exmc.IR, draws: int = 1000, tune: int = 1000, progressbar: bool = True) -> exmc.Trace:
    """Sample ``ir`` (4 chains, seed 0) and print the summary, the divergences, the rewrite
    report and any sampling warning."""
    print(f"-- sampling {title}: 4 chains, {tune} warmup + {draws} draws each", flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", exmc.SamplingWarning)
        trace = exmc.sample(ir, draws=draws, tune=tune, chains=4, seed=0, progressbar=progressbar)
    print(format_summary(exmc.summary(trace)))
    divergences = int(trace.sample_stats["diverging"].sum())
    print(f"divergences: {divergences} of {trace.n_chains * trace.n_draws} draws")
    print(f"metric: {trace.attrs['metric']} -> {trace.attrs['metric_used']} (what warmup settled on)")
    if trace.attrs["metric_choice"]:
        print(f"  auto chose {trace.attrs['metric_choice']}")
    if trace.attrs["target_choice"]:
        print(f"target_accept: {trace.attrs['target_choice']}")
    print("rewrite report:" + ("" if trace.rewrites else " none (the model was sampled as written)"))
    for rewrite in trace.rewrites:
        print(textwrap.indent(str(rewrite), "  "))
    for warning in caught:
        if not issubclass(warning.category, exmc.SamplingWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
            continue
        print(textwrap.fill(f"warning: {warning.message}", width=100, subsequent_indent="  "))
    print()
    return trace


def main(draws: int = 1000, tune: int = 1000, out: str | pathlib.Path = DASHBOARD,
         progressbar: bool = True) -> dict[str, object]:
    """Run the demo; returns the two traces and the dashboard's path (for the tests)."""
    show("The README's model", readme_model())
    readme = sample("the README's model", readme_model(), draws, tune, progressbar)
    show("Eight schools, written centered (Exmc non-centers it)", eight_schools())
    eight = sample("eight schools", eight_schools(), draws, tune, progressbar)

    from exmc_widgets.html import save_dashboard

    path = save_dashboard(readme, out, title="Exmc: the README's model")
    print(f"the README model's dashboard (self-contained, opens offline): {path}")
    return {"readme": readme, "eight_schools": eight, "dashboard": path}


def _arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m exmc.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=1000, help="draws per chain (default 1000)")
    parser.add_argument("--tune", type=int, default=1000, help="warmup iterations per chain (default 1000)")
    parser.add_argument("--out", default=str(DASHBOARD), help=f"the dashboard's HTML file (default {DASHBOARD})")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = _arguments()
    main(arguments.draws, arguments.tune, arguments.out)
