"""The warnings after sampling: each fires on the problem it is about, names the variables
concerned and says what to try; runs too short to judge are not checked."""

import warnings

import numpy as np
import pytest

import exmc
from exmc.demo import eight_schools
from exmc.diagnostics import check_trace, warn_about

RNG = np.random.default_rng(31)
CHAINS, DRAWS = 4, 400


def healthy(**attrs):
    """iid draws and energies: nothing to warn about."""
    tau = np.exp(RNG.normal(size=(CHAINS, DRAWS)))
    return exmc.Trace(
        posterior={"tau": tau, "theta": RNG.normal(size=(CHAINS, DRAWS, 3)), "theta_raw": RNG.normal(size=(CHAINS, DRAWS, 3))},
        sample_stats={
            "diverging": np.zeros((CHAINS, DRAWS), dtype=bool),
            "tree_depth": np.full((CHAINS, DRAWS), 3, dtype=np.int32),
            "energy": RNG.normal(size=(CHAINS, DRAWS)),
        },
        auxiliary={"theta_raw": "theta"},
        attrs={"tune": 1000, "draws": DRAWS, "max_treedepth": 10, "noncenter": "auto", **attrs},
    )


def kinds(trace):
    return [p.kind for p in check_trace(trace)]


def test_a_healthy_trace_raises_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_about(healthy()) == []


def test_divergences_give_count_share_and_where_they_concentrate():
    trace = healthy()
    tau = trace.posterior["tau"]
    trace.sample_stats["diverging"] = tau < np.quantile(tau, 0.01)  # the funnel's neck
    (problem,) = check_trace(trace)
    assert problem.kind == "divergences" and problem.variables == ("tau",)
    assert "16 of 1600 draws (1.00 %) diverged" in problem.message
    assert "low tau" in problem.message and "target_accept=0.95" in problem.message
    assert "reparameterise the model or give its scales" in problem.message  # nothing left centered


def test_what_to_try_follows_what_the_rewrite_decided():
    from exmc.ir.nodes import Rewrite

    trace = healthy()
    tau = trace.posterior["tau"]
    trace.sample_stats["diverging"] = tau < np.quantile(tau, 0.01)
    trace.rewrites = (Rewrite("noncenter", "theta", (), "theta kept centered"),)
    (problem,) = check_trace(trace)
    assert "non-center what the rewrite kept centered, theta (exmc.sample(..., noncenter=True)" in problem.message
    trace.attrs["noncenter"] = False
    (problem,) = check_trace(trace)
    assert 'noncenter="auto") lets Exmc non-center' in problem.message


def test_divergences_spread_like_the_draws_name_no_variable():
    trace = healthy()
    trace.sample_stats["diverging"][:, ::50] = True
    (problem,) = check_trace(trace)
    assert problem.variables == () and "concentrate" not in problem.message


def test_saturated_trees_name_max_treedepth_and_the_slowest_quantities():
    trace = healthy()
    trace.sample_stats["tree_depth"][0, :40] = 10
    (problem,) = check_trace(trace)
    assert problem.kind == "tree_depth"
    assert "40 of 1600 draws (2.50 %) hit max_treedepth=10" in problem.message
    assert "max_treedepth=12" in problem.message and len(problem.variables) == 4


def test_low_bfmi_names_the_chains_and_the_quantities_that_move_with_the_energy():
    trace = healthy()
    walk = np.cumsum(RNG.normal(size=(CHAINS, DRAWS)), axis=1)
    trace.sample_stats["energy"][1] = walk[1]
    trace.posterior["tau"][1] = np.exp(walk[1] / 10)
    problems = {p.kind: p for p in check_trace(trace)}
    assert "E-BFMI below 0.3 in chains 1 (0." in problems["bfmi"].message
    assert problems["bfmi"].variables[0] == "tau"


def test_chains_that_disagree_name_their_quantities_by_r_hat():
    trace = healthy()
    trace.posterior["theta"][3, :, 1] += 1.0
    problems = {p.kind: p for p in check_trace(trace)}
    assert problems["rhat"].variables == ("theta[1]",)
    assert "R-hat above 1.01 for 1 of 4 quantities: theta[1] (1." in problems["rhat"].message


def test_low_ess_names_its_quantities_and_the_theta_raw_auxiliary_is_not_judged():
    trace = healthy()
    sticky = np.repeat(RNG.normal(size=(CHAINS, DRAWS // 40)), 40, axis=1)
    trace.posterior["theta"][..., 2] = sticky
    trace.posterior["theta_raw"][..., 0] = sticky
    problems = {p.kind: p for p in check_trace(trace)}
    assert problems["ess"].variables == ("theta[2]",)
    assert "below 400 (100 per chain)" in problems["ess"].message and "draws=800" in problems["ess"].message


@pytest.mark.parametrize("attrs, draws", [({"tune": 50}, DRAWS), ({}, 60)])
def test_runs_too_short_to_judge_are_not_checked_unless_asked(attrs, draws):
    trace = healthy(**attrs)
    trace.sample_stats["diverging"][0, 0] = True
    for group in (trace.posterior, trace.sample_stats):
        for name in group:
            group[name] = group[name][:, :draws]
    assert check_trace(trace) == []
    assert "divergences" in [p.kind for p in check_trace(trace, min_run=0)]


@pytest.mark.slow
def test_sample_warns_of_the_centered_funnel_and_points_at_tau():
    # 3000 draws a chain: where the divergent draws sit can only be told from more than 3 of
    # them (the percentile test's bound, 3 sqrt(1 / (12 n)), is 0.5 at n = 3), and since
    # decision 81 this funnel diverges 3 times in 4 x 1000 draws on seed 0 (31 in 4 x 3000)
    with pytest.warns(exmc.SamplingWarning) as record:
        exmc.sample(eight_schools(), seed=0, noncenter=False, progressbar=False, draws=3000)
    divergence = next(w for w in record if "diverged after warmup" in str(w.message))
    assert "low tau" in str(divergence.message)
    assert divergence.filename == __file__  # points at the user's call


@pytest.mark.slow
def test_sample_of_an_easy_posterior_warns_of_nothing():
    ir = exmc.Builder.new_ir().rv("x", exmc.Normal, {"mu": 0.0, "sigma": 1.0}, shape=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = exmc.sample(ir, seed=0, progressbar=False)
    assert check_trace(trace) == []


def test_only_the_variables_asked_for_are_judged():
    """exmc.sample judges the model's random variables; a det node's stuck chains (here a
    constant offset per chain) are then not reported, though they are when all are judged."""
    trace = healthy()
    trace.posterior["linear_predictor"] = RNG.normal(size=(CHAINS, DRAWS, 5)) + np.arange(CHAINS)[:, None, None]
    assert "rhat" in kinds(trace)
    assert check_trace(trace, variables={"tau", "theta"}) == []


def test_sample_judges_random_variables_not_det_nodes(monkeypatch):
    from exmc.sampler import api

    judged = {}
    monkeypatch.setattr(api, "warn_about", lambda trace, stacklevel, variables: judged.setdefault("v", variables))
    ir = eight_schools().det("theta_mean", lambda t: t.mean(), ["theta"])
    exmc.sample(ir, draws=10, tune=10, chains=1, progressbar=False)
    assert judged["v"] == {"mu", "tau", "theta"}
