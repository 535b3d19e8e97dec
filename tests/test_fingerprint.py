"""The model fingerprint: the same model gives the same one in any process; concat and resume
refuse traces and states of another model (issue 10, decision 38)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import exmc
from exmc.fingerprint import fingerprint

DATA = np.array([2.1, 1.8, 2.5])


def model(prior_scale: float = 5.0, fn=None):
    ir = (
        exmc.Builder.new_ir()
        .rv("mu", exmc.Normal, {"mu": 0.0, "sigma": prior_scale})
        .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
    )
    if fn is not None:
        ir = ir.det("shift", fn, ["mu"])
    return ir.rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"}).obs("x_obs", "x", DATA)


SMALL = dict(draws=20, tune=20, chains=2, progressbar=False)


@pytest.mark.parametrize(
    "a, b",
    [
        (lambda: model(5.0), lambda: model(3.0)),                              # a prior's scale
        (lambda: model(fn=lambda m: m * 2.0), lambda: model(fn=lambda m: m * 3.0)),  # a det node's constant
        (lambda: model(fn=lambda m: m * 2.0), lambda: model(fn=lambda m: m + 2.0)),  # its operation
        (lambda: model(), lambda: model().rv("extra", exmc.Normal, {"mu": 0.0, "sigma": 1.0})),  # structure
        (lambda: model(), lambda: exmc.Builder.new_ir()
            .rv("mu", exmc.StudentT, {"nu": 3.0, "mu": 0.0, "sigma": 5.0})
            .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
            .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"}).obs("x_obs", "x", DATA)),  # a distribution
    ],
    ids=["prior scale", "det constant", "det operation", "structure", "distribution"],
)
def test_different_models_have_different_fingerprints_and_equal_ones_equal(a, b):
    assert fingerprint(a()) == fingerprint(a())
    assert fingerprint(a()) != fingerprint(b())


def test_the_fingerprint_is_the_same_in_another_process_with_another_hash_seed():
    code = "from tests.test_fingerprint import model; from exmc.fingerprint import fingerprint; " \
           "print(fingerprint(model(fn=lambda m: m * 2.0)))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == fingerprint(model(fn=lambda m: m * 2.0))


def test_every_trace_carries_its_model_s_fingerprint_through_a_file(tmp_path):
    trace = exmc.sample(model(), seed=1, **SMALL)
    assert trace.attrs["model_fingerprint"] == fingerprint(model())
    prior = exmc.sample_prior_predictive(model(), draws=10, seed=0)
    assert prior.attrs["model_fingerprint"] == fingerprint(model())
    trace.save(tmp_path / "t.nc")
    assert exmc.load_trace(tmp_path / "t.nc").attrs["model_fingerprint"] == fingerprint(model())


def test_concat_refuses_two_models_with_the_same_names_and_data(tmp_path):
    a = exmc.sample(model(5.0), seed=1, **SMALL)
    b = exmc.sample(model(3.0), seed=2, **SMALL)  # only a prior's scale differs
    with pytest.raises(exmc.ExmcError, match="different models"):
        exmc.concat(a, b)
    b.save(tmp_path / "b.nc")
    with pytest.raises(exmc.ExmcError, match="different models"):
        exmc.concat(a, exmc.load_trace(tmp_path / "b.nc"), dim="draw")
    same = exmc.sample(model(5.0), seed=2, **SMALL)  # the same model built again joins
    assert exmc.concat(a, same).n_chains == 4


def test_resume_accepts_the_same_model_rebuilt_and_refuses_another():
    state = next(iter(exmc.sample_stream(model(), draws=5, tune=5, chains=1))).state
    rebuilt = model()
    more = list(exmc.sample_stream(rebuilt, draws=5, resume=state))
    assert more[-1].phase == "sampling"
    with pytest.raises(exmc.SettingsError, match="another model"):
        next(iter(exmc.sample_stream(model(3.0), draws=5, resume=state)))
