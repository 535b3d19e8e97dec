"""``make demo``: the README's model and eight schools through compiler and sampler, the
summary and rewrite report, and the README model's dashboard as a self-contained HTML file."""

import re

import numpy as np

import exmc
from exmc import demo
from exmc_widgets.html import read_page


def test_demo_prints_what_it_did_and_writes_the_dashboard(capsys, tmp_path):
    made = demo.main(draws=200, tune=200, out=tmp_path / "dash.html")
    out, err = capsys.readouterr()
    readme, eight = made["readme"], made["eight_schools"]

    # what the compiler made
    assert "[1:2] sigma  transform=log" in out
    assert "rewrites: none" in out
    assert "noncenter: theta ~ Normal(mu, tau) -> theta_raw ~ Normal(0, 1)" in out
    assert out.count("log-density there: -") == 2
    # the terminal progress bar, on stderr, for both runs
    assert err.count("sampling 200/200") == 2 and err.count("4 chains, 400 iterations each") == 2
    # the summaries, exactly exmc.summary's numbers, auxiliary theta_raw left out
    assert demo.format_summary(exmc.summary(readme)) in out
    eight_table = demo.format_summary(exmc.summary(eight))
    assert eight_table in out and "theta[7]" in eight_table and "theta_raw" not in eight_table
    for trace in (readme, eight):
        assert f"divergences: {int(trace.sample_stats['diverging'].sum())} of 800 draws" in out
        assert f"metric: auto -> {trace.attrs['metric_used']} (what warmup settled on)" in out
        assert f"  auto chose {trace.attrs['metric_choice']}" in out
        assert f"target_accept: {trace.attrs['target_choice']}" in out
    # 200 warmup iterations: auto looks at iterations 25-49 and keeps the diagonal on both
    assert readme.attrs["metric_choice"].startswith("nutpie's diagonal: condition number")
    assert eight.attrs["metric_choice"].startswith("nutpie's diagonal: condition number")
    # the rewrite report: none for the README model, non-centering for eight schools
    assert "rewrite report: none (the model was sampled as written)" in out
    assert eight.rewrites and f"rewrite report:\n  {eight.rewrites[0]}" in out
    # every sampling warning is printed in place, none escapes to stderr
    assert "SamplingWarning" not in err

    path = made["dashboard"]
    assert path == tmp_path / "dash.html" and out.rstrip().endswith(f"opens offline): {path}")
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=", page) and "<link" not in page
    data = read_page(page)
    assert [v["name"] for v in data["traits"]["spec"]["variables"]] == ["mu", "sigma"]
    for name in ("mu", "sigma"):
        for c in range(4):
            np.testing.assert_array_equal(data["sources"][f"trace/{name}/s{c}"]["y"], readme.posterior[name][c])
    assert [row[0] for row in data["sources"]["$table"]["rows"]] == ["mu", "sigma"]


def test_demo_arguments():
    assert vars(demo._arguments([])) == {"draws": 1000, "tune": 1000, "out": str(demo.DASHBOARD)}
    assert vars(demo._arguments(["--draws", "50", "--out", "x.html"]))["draws"] == 50
