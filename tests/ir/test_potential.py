"""Potentials (decision 60): sum(fn(*deps)) joins the log-density, through the rewrites, and
nowhere else (not a likelihood for LOO/WAIC, not drawn by predictive sampling); malformed
potentials raise a PotentialError (or UnknownReferenceError) naming the potential, before sampling."""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

import exmc
from exmc import Builder
from exmc.compile import pointwise
from exmc.demo import eight_schools

DATA = np.array([2.1, 1.8, 2.5])


def base():
    return (
        Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
        .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"})
        .obs("x_obs", "x", DATA)
    )


def penalised():
    return base().potential("pen", lambda mu, sigma: -((mu - 1.0) ** 2) * sigma * jnp.arange(1.0, 3.0), ["mu", "sigma"])


def test_log_density_with_a_potential_against_a_hand_computed_value():
    model = exmc.compile_model(penalised())
    point = np.array([0.7, -0.3])  # mu, log(sigma)
    mu, sigma = 0.7, np.exp(-0.3)
    expected = (
        st.norm.logpdf(mu, 0, 5) + st.halfnorm.logpdf(sigma, scale=2) + np.log(sigma)
        + st.norm.logpdf(DATA, mu, sigma).sum()
        - (mu - 1.0) ** 2 * sigma * (1.0 + 2.0)  # the potential, summed over its two values
    )
    assert model.logp(point) == pytest.approx(expected, rel=1e-12)
    assert model.logp_terms(point)["pen"] == pytest.approx(-(mu - 1.0) ** 2 * sigma * 3.0, rel=1e-12)
    value, grad = model.logp_and_grad(point)
    eps = 1e-6
    for i in range(2):
        step = np.eye(2)[i] * eps
        fd = (model.logp(point + step) - model.logp(point - step)) / (2 * eps)
        assert grad[i] == pytest.approx(fd, rel=1e-6)
    assert "pen" not in model.to_constrained(point) and "pen" not in model.value_names


def test_the_ir_describes_and_keeps_potentials():
    ir = penalised()
    assert isinstance(ir["pen"], exmc.ir.nodes.Potential)
    assert "pen: potential += sum(<lambda>(mu, sigma))" in ir.describe()
    assert Builder.potential(base(), "p", lambda mu: mu, "mu")["p"].deps == ("mu",)


def test_potentials_survive_the_noncentering_rewrite_on_the_node_it_renames():
    """theta becomes a det node of theta_raw; the potential on theta reads the det's value."""
    pen = lambda theta: -0.5 * jnp.sum(theta**2) / 9.0  # noqa: E731
    plain, with_pot = eight_schools(), eight_schools().potential("shrink", pen, ["theta"])
    a = exmc.compile_model(plain, noncenter=True)
    b = exmc.compile_model(with_pot, noncenter=True)
    assert [r.node for r in b.rewrites] == ["theta"] and "shrink" in b.ir
    assert b.ir["shrink"].deps == ("theta",)
    point = np.random.default_rng(1).normal(size=a.dim)
    theta = a.to_constrained(point)["theta"]
    assert b.logp(point) - a.logp(point) == pytest.approx(-0.5 * np.sum(theta**2) / 9.0, rel=1e-10)
    # the same under the data-aware decision
    c = exmc.compile_model(with_pot)
    assert "shrink" in c.ir and np.isfinite(c.logp(np.zeros(c.dim)))


def test_potentials_are_not_likelihood_nor_drawn():
    rng = np.random.default_rng(0)
    posterior = {"mu": rng.normal(2, 0.3, size=(2, 50)), "sigma": rng.uniform(0.5, 1.5, size=(2, 50))}
    ll_plain = pointwise.log_likelihood(base(), posterior)
    ll_pot = pointwise.log_likelihood(penalised(), posterior)
    assert list(ll_pot) == ["x_obs"]
    np.testing.assert_array_equal(ll_pot["x_obs"], ll_plain["x_obs"])
    trace = exmc.Trace(posterior=posterior, sample_stats={})
    a = exmc.sample_posterior_predictive(base(), trace, seed=3).posterior_predictive
    b = exmc.sample_posterior_predictive(penalised(), trace, seed=3).posterior_predictive
    assert list(b) == ["x_obs"]
    np.testing.assert_array_equal(a["x_obs"], b["x_obs"])
    with pytest.warns(UserWarning, match="potentials pen"):
        prior = exmc.sample_prior_predictive(penalised(), draws=10)
    assert "pen" not in prior.prior and "pen" not in prior.prior_predictive


def _bad(fn, deps):
    return base().potential("bad", fn, deps)


@pytest.mark.parametrize(
    "make, error, node, match",
    [
        (lambda: _bad(lambda mu: mu[3], ["mu"]), exmc.PotentialError, "bad", r"fn fails on its inputs \(mu \(\)\)"),
        (lambda: _bad(lambda mu: (mu, mu), ["mu"]), exmc.PotentialError, "bad", "one array"),
        (lambda: _bad(lambda mu: {"a": mu}, ["mu"]), exmc.PotentialError, "bad", "one array"),
        (lambda: _bad(lambda mu: mu.astype(jnp.complex128), ["mu"]), exmc.PotentialError, "bad", "real numbers.*complex"),
        (lambda: _bad(lambda mu: "x", ["mu"]), exmc.PotentialError, "bad", "fn"),
        (lambda: _bad(lambda mu, nope: mu, ["mu", "nope"]), exmc.UnknownReferenceError, "bad", "'nope'"),
        (lambda: _bad(lambda x: x, ["x_obs"]), exmc.UnknownReferenceError, "bad", "an observation"),
        (lambda: penalised().potential("p2", lambda p: p, ["pen"]), exmc.UnknownReferenceError, "p2", "a potential"),
        (lambda: penalised().det("d", lambda p: p, ["pen"]), exmc.UnknownReferenceError, "d", "a potential"),
    ],
)
def test_malformed_potentials_raise_before_sampling(make, error, node, match):
    ir = make()
    for run in (exmc.compile_model, lambda m: exmc.sample(m, draws=5, tune=5, chains=1, progressbar=False)):
        with pytest.raises(error, match=match) as info:
            run(ir)
        assert info.value.node == node


def test_build_time_errors_name_the_potential():
    with pytest.raises(exmc.PotentialError, match="callable") as info:
        base().potential("p", 3.0, ["mu"])
    assert info.value.node == "p"
    with pytest.raises(exmc.DuplicateNameError):
        base().potential("mu", lambda mu: mu, ["mu"])
    with pytest.raises(exmc.UnknownReferenceError, match="node names"):
        base().potential("p", lambda mu: mu, [3])


def test_a_trace_of_a_model_with_a_potential_round_trips(tmp_path):
    trace = exmc.sample(penalised(), draws=30, tune=30, chains=2, seed=0, progressbar=False, checks=False)
    assert trace.attrs["potentials"] == ["pen"] and "pen" not in trace.posterior
    trace.save(tmp_path / "t.nc")
    back = exmc.load_trace(tmp_path / "t.nc")
    assert back.attrs == trace.attrs and back.groups() == trace.groups()
    for group in trace.groups():
        for k, v in getattr(trace, group).items():
            np.testing.assert_array_equal(getattr(back, group)[k], v)
