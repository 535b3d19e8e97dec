"""The new continuous families as priors: NUTS through their default transforms recovers each
family's mean and variance (one model holding all of them, so one compilation)."""

import numpy as np
import pytest
import scipy.stats as st

import exmc

PRIORS = {
    "inv_gamma": (exmc.InverseGamma, {"alpha": 6.0, "beta": 2.0}, st.invgamma(6.0, scale=2.0)),
    "weibull": (exmc.Weibull, {"alpha": 1.5, "beta": 2.0}, st.weibull_min(1.5, scale=2.0)),
    "laplace": (exmc.Laplace, {"mu": 1.0, "b": 2.0}, st.laplace(1.0, 2.0)),
    "logistic": (exmc.Logistic, {"mu": 1.0, "s": 2.0}, st.logistic(1.0, 2.0)),
    # the half-t's moments: E|T| and E T^2 of a t with nu = 7, scale 2
    "half_t": (exmc.HalfStudentT, {"nu": 7.0, "sigma": 2.0}, None),
    "skew_normal": (exmc.SkewNormal, {"mu": 1.0, "sigma": 2.0, "alpha": -3.0}, st.skewnorm(-3.0, 1.0, 2.0)),
}


def _half_t_moments(nu, sigma):
    t = st.t(nu, scale=sigma)
    mean = 2.0 * t.expect(lambda x: x, lb=0.0)
    return mean, t.var() - mean**2


@pytest.mark.slow
def test_new_continuous_families_sample_as_priors():
    ir = exmc.Builder.new_ir()
    for name, (dist, params, _) in PRIORS.items():
        ir = ir.rv(name, dist, params)
    trace = exmc.sample(ir, draws=2000, tune=1000, chains=4, seed=11, progressbar=False)
    for name, (_, params, ref) in PRIORS.items():
        draws = trace.posterior[name]
        assert np.all(np.isfinite(draws)), name
        mean, var = (ref.mean(), ref.var()) if ref is not None else _half_t_moments(params["nu"], params["sigma"])
        ess = float(exmc.diagnostics.ess(draws))
        assert abs(draws.mean() - mean) < 5 * np.sqrt(var / ess), (name, draws.mean(), mean, ess)
    assert int(np.sum(trace.sample_stats["diverging"])) == 0
