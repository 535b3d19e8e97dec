"""The widget's state: the spec a view is rebuilt from, the header, the palette, BokehJS,
the settings it refuses, and ``dashboard(trace)``."""

from __future__ import annotations

import pathlib

import bokeh
import numpy as np
import pytest

import exmc
import exmc_widgets
from exmc.demo import eight_schools
from exmc_widgets import palette
from exmc_widgets.dashboard import BOKEH_FILES, Dashboard, bokehjs, title

from .test_live import Recorder

EIGHT = eight_schools()


@pytest.fixture(scope="module")
def trace():
    return exmc.trace_from_batches(
        list(exmc.sample_stream(EIGHT, draws=120, tune=80, chains=2, seed=1)), exmc.sampler.api._model(EIGHT))


def test_the_seeds_palette():
    assert palette.BACKGROUND == "#000000" and palette.AMBER == "#FFB000"
    assert len(palette.CHAINS) == 10 and palette.CHAINS[0] == palette.AMBER and len(set(palette.CHAINS)) == 10
    assert palette.chain_colour(10) == palette.chain_colour(0)
    # warm: every chain colour has more red than green and more green than blue
    for colour in palette.CHAINS:
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert r >= g > b, colour
    r, g, b = (int(palette.BLUE[i:i + 2], 16) for i in (1, 3, 5))
    assert b > r and b > g


@pytest.mark.parametrize(("state", "shown"), [
    ("compiling", "MCMC Live Sampling (0 / 500)"), ("warmup", "MCMC Live Sampling (0 / 500)"),
    ("sampling", "MCMC Live Sampling (150 / 500)"), ("complete", "MCMC Live Sampling (complete)"),
    ("stopped", "MCMC Live Sampling (stopped at 150 / 500)"), ("error", "MCMC Live Sampling (error at 150 / 500)"),
])
def test_title_bar(state, shown):
    done = 0 if state in ("compiling", "warmup") else 150
    assert title(state, done, 500) == shown


def test_bokehjs_is_the_installed_bokehs_own_files_sent_once_per_kernel():
    loader = bokehjs()
    assert loader is bokehjs()
    assert loader.version == bokeh.__version__
    folder = pathlib.Path(bokeh.__file__).parent / "server" / "static" / "js"
    assert loader.names == list(BOKEH_FILES)
    assert loader.files == [(folder / name).read_bytes() for name in BOKEH_FILES]
    assert f'"{bokeh.__version__}"' in loader.files[1].decode()[:3000]  # the API plugin's own version
    state = loader.get_state()
    assert state["files"] == loader.files
    loader.close()
    assert bokehjs() is not loader  # a closed one is made again


def test_the_spec_names_the_panels(trace):
    dash = exmc_widgets.dashboard(trace, display=False)
    spec = dash.spec
    assert [v["name"] for v in spec["variables"]] == ["mu", "tau", "theta"]  # theta_raw is the rewrite's
    assert spec["variables"][2]["labels"] == [f"theta[{k}]" for k in range(8)]
    assert spec["chains"] == 2
    assert spec["pair"] == ["mu", "tau", "theta[0]", "theta[1]"]
    assert spec["forest"][:3] == ["mu", "tau", "theta[0]"] and len(spec["forest"]) == 10
    assert spec["palette"]["background"] == "#000000" and spec["palette"]["chains"] == list(palette.CHAINS)
    assert dash.selection == {"mu": 0, "tau": 0, "theta": 0}
    assert dash.bokeh_version == bokeh.__version__ and len(dash.uid) == 32


def test_dashboard_of_a_trace_shows_its_draws(trace):
    dash = exmc_widgets.dashboard(trace, display=False)
    assert dash.trace is trace
    assert dash.state == "complete" and dash.title == "MCMC Trace (2 chains x 120 draws)"
    assert dash.draws_shown == 120 and not dash.can_extend
    assert dash.divergences == int(trace.sample_stats["diverging"].sum())
    recorder = Recorder()
    dash._coordinator._send = recorder
    dash._on_message(dash, {"type": "ready"}, [])
    shown = recorder.replay()
    np.testing.assert_array_equal(shown["trace/tau/s1"]["y"], trace.posterior["tau"][1])
    np.testing.assert_array_equal(shown["trace/tau/w0"]["x"], np.arange(80) - 80)
    np.testing.assert_array_equal(shown["trace/tau/w0"]["y"], trace.warmup_posterior["tau"][0])
    assert [row[0] for row in shown["$table"]["rows"]] == dash.spec["forest"]
    with pytest.raises(exmc.SettingsError, match="finished trace"):
        dash.extend(10)


def test_selection_from_the_front_end_or_python_redraws_the_row(trace):
    dash = exmc_widgets.dashboard(trace, display=False)
    recorder = Recorder()
    dash._coordinator._send = recorder
    dash.selection = {**dash.selection, "theta": 3}  # as the front end sets it
    shown = recorder.replay()
    np.testing.assert_array_equal(shown["trace/theta/s0"]["y"], trace.posterior["theta"][0, :, 3])
    dash.select("theta", 5)
    np.testing.assert_array_equal(recorder.replay()["trace/theta/s1"]["y"], trace.posterior["theta"][1, :, 5])
    with pytest.raises(exmc.SettingsError, match="out of range"):
        dash.select("theta", 8)
    with pytest.raises(exmc.SettingsError, match="no variable"):
        dash.select("nope", 0)


def test_var_names_and_pair_choose_the_panels(trace):
    dash = exmc_widgets.dashboard(trace, var_names=["theta"], pair=["theta[2]", "theta[7]"], display=False)
    assert [v["name"] for v in dash.spec["variables"]] == ["theta"]
    assert dash.spec["pair"] == ["theta[2]", "theta[7]"]


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"draws": -1}, "draws must be an integer"),
    ({"chains": 0}, "chains must be an integer"),
    ({"target_accept": 1.5}, "target_accept"),
    ({"var_names": ["nope"]}, "var_names: no variable 'nope'"),
    ({"pair": ["theta[9]"]}, "pair: no element 'theta\\[9\\]'"),
    ({"step": 0.1}, "unknown setting 'step'"),
])
def test_bad_settings_fail_before_anything_is_shown(kwargs, problem):
    with pytest.raises(exmc.SettingsError, match=problem):
        exmc_widgets.stream(EIGHT, display=False, **kwargs)


def test_the_dashboard_samples_with_exmc_samples_defaults_and_compiled_model():
    import inspect

    dash = exmc_widgets.stream(EIGHT, draws=20, tune=20, display=False)
    assert dash.wait(60)
    defaults = inspect.signature(exmc.sample).parameters
    attrs = dash.trace.attrs
    for name in ("target_accept", "max_treedepth", "metric", "noncenter"):
        assert attrs[name] == defaults[name].default, name
    assert dash._model is exmc.sampler.api._model(EIGHT)  # exmc.sample would reuse its compilation


def test_bad_input_to_dashboard():
    with pytest.raises(exmc.SettingsError, match="expected an exmc.Trace"):
        exmc_widgets.dashboard({"mu": np.zeros((2, 10))})
    with pytest.raises(exmc.ExmcError, match="expected an exmc.IR"):
        exmc_widgets.stream("not a model", display=False)


def test_the_widget_loads_the_committed_bundle():
    static = pathlib.Path(exmc_widgets.__file__).parent / "static"
    assert str(Dashboard._esm) == (static / "dashboard.js").read_text()
    assert str(Dashboard._css) == (static / "dashboard.css").read_text()
