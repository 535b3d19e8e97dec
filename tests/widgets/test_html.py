"""The dashboard of a finished trace as one self-contained HTML page (exmc_widgets.html).

The page's data is read back (``read_page``) and compared with the trace's draws, numpy's
histogram and ``exmc.summary``; the page itself is loaded from disk in headless chromium
with every network request refused, and must draw its panels and switch elements.
"""

from __future__ import annotations

import html.parser
import io
import pathlib
import warnings

import bokeh
import numpy as np
import pytest

import exmc
from exmc import errors as E
from exmc.demo import eight_schools
from exmc_widgets import palette
from exmc_widgets.html import dashboard_html, read_page, save_dashboard

CHROMIUM = "/usr/bin/chromium"
DRAWS, TUNE = 300, 200


@pytest.fixture(scope="module")
def trace():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exmc.SamplingWarning)  # a short run's divergences are its own business
        trace = exmc.sample(eight_schools(), draws=DRAWS, tune=TUNE, chains=4, seed=5, progressbar=False)
    # Divergent draws marked here as well as any the run made (how many it makes depends on
    # the machine's floating point), so that the markers are always checked on some draws.
    diverging = np.array(trace.sample_stats["diverging"], dtype=bool)
    diverging[[1, 0, 3], [10, 200, 200]] = True
    trace.sample_stats["diverging"] = diverging
    return trace


@pytest.fixture(scope="module")
def page(trace):
    return dashboard_html(trace)


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_page_loads_nothing_from_elsewhere_and_inlines_the_installed_bokehjs(page):
    parser = Tags()
    parser.feed(page)
    tags = parser.tags
    assert [t for t, a in tags if t == "script" and "src" in a] == []
    assert [t for t, _ in tags if t in ("link", "img", "iframe", "object", "embed")] == []
    assert [a for _, a in tags if any(str(v).startswith(("http:", "https:", "//")) for v in a.values())] == []
    folder = pathlib.Path(bokeh.__file__).parent / "server" / "static" / "js"
    for name in ("bokeh.min.js", "bokeh-api.min.js"):
        assert f"<script>{(folder / name).read_text(encoding='utf-8')}</script>" in page
    assert sum(1 for t, a in tags if t == "script" and a.get("type") == "module") == 1


def test_header_and_spec_are_the_widgets(page, trace):
    traits = read_page(page)["traits"]
    assert traits["title"] == f"MCMC Trace (4 chains x {DRAWS} draws)"
    assert "<title>MCMC Trace (4 chains x 300 draws)</title>" in page
    assert traits["state"] == "complete" and traits["can_extend"] is False
    assert traits["divergences"] == int(trace.sample_stats["diverging"].sum())
    assert traits["step_size"] == pytest.approx(trace.sample_stats["step_size"][:, -1].mean())
    assert traits["bokeh_version"] == bokeh.__version__
    spec = traits["spec"]
    assert [v["name"] for v in spec["variables"]] == ["mu", "tau", "theta"]  # theta_raw, auxiliary, left out
    assert spec["chains"] == 4 and spec["pair"] == ["mu", "tau", "theta[0]", "theta[1]"]
    assert spec["palette"]["background"] == palette.BACKGROUND == "#000000"
    assert spec["palette"]["amber"] == palette.AMBER


def test_snapshot_holds_every_draw_of_the_trace(page, trace):
    sources = read_page(page)["sources"]
    for name in ("mu", "tau", "theta"):
        draws = trace.posterior[name].reshape(4, DRAWS, -1)[..., 0]
        warmup = trace.warmup_posterior[name].reshape(4, TUNE, -1)[..., 0]
        for c in range(4):
            np.testing.assert_array_equal(sources[f"trace/{name}/s{c}"]["x"], np.arange(DRAWS))
            np.testing.assert_array_equal(sources[f"trace/{name}/s{c}"]["y"], draws[c])
            np.testing.assert_array_equal(sources[f"trace/{name}/w{c}"]["x"], np.arange(-TUNE, 0))
            np.testing.assert_array_equal(sources[f"trace/{name}/w{c}"]["y"], warmup[c])
        hist = sources[f"hist/{name}"]
        edges = np.append(hist["left"], hist["right"][-1])
        counts, _ = np.histogram(draws.ravel(), bins=edges)
        np.testing.assert_allclose(hist["top"] * np.diff(edges) * draws.size, counts, rtol=1e-12)
        assert sources[f"acf/{name}"]["acf"][0] == pytest.approx(1.0)
    chains, draws = np.nonzero(trace.sample_stats["diverging"])
    order = np.lexsort((chains, draws))
    assert draws.size > 0  # the fixture marks some: the markers are checked, not an empty list
    np.testing.assert_array_equal(sources["div/tau"]["x"], draws[order])
    np.testing.assert_array_equal(sources["div/tau"]["y"], trace.posterior["tau"][chains[order], draws[order]])


def test_summary_table_agrees_with_exmc_summary(page, trace):
    table = read_page(page)["sources"]["$table"]
    summary = exmc.summary(trace)
    assert [row[0] for row in table["rows"]] == list(summary.index)
    for row, (_, expected) in zip(table["rows"], summary.iterrows()):
        mean, sd, low, high, ess_bulk, ess_tail, r_hat = row[1:]
        assert float(mean) == pytest.approx(expected["mean"], abs=5e-4)
        assert float(sd) == pytest.approx(expected["sd"], abs=5e-4)
        assert (float(low), float(high)) == pytest.approx((expected["hdi_3%"], expected["hdi_97%"]), abs=5e-4)
        assert (int(ess_bulk), int(ess_tail)) == (round(expected["ess_bulk"]), round(expected["ess_tail"]))
        assert float(r_hat) == pytest.approx(expected["r_hat"], abs=5e-3)


def test_each_element_of_a_vector_travels_with_the_page(page, trace):
    from exmc_widgets.protocol import apply_ops

    data = read_page(page)
    chains, draws = np.nonzero(trace.sample_stats["diverging"])
    order = np.lexsort((chains, draws))  # by draw, then chain: the order the page shows them in
    chains, draws = chains[order], draws[order]
    assert list(data["elements"]) == ["theta"] and len(data["elements"]["theta"]) == 8
    for k in (3, 7, 0):
        sources = {key: dict(value) for key, value in data["sources"].items()}
        apply_ops(sources, data["elements"]["theta"][k])
        for c in range(4):
            np.testing.assert_array_equal(sources[f"trace/theta/s{c}"]["y"], trace.posterior["theta"][c, :, k])
        np.testing.assert_array_equal(sources["div/theta"]["y"], trace.posterior["theta"][chains, draws, k])
        hist = sources["hist/theta"]
        edges = np.append(hist["left"], hist["right"][-1])
        assert hist["left"][0] == pytest.approx(trace.posterior["theta"][..., k].min())
        assert np.sum(hist["top"] * np.diff(edges)) == pytest.approx(1.0)
        # the other rows are untouched
        np.testing.assert_array_equal(sources["trace/mu/s0"]["y"], trace.posterior["mu"][0])


def test_max_elements_bounds_the_menu_not_the_table_and_says_so(trace):
    data = read_page(dashboard_html(trace, max_elements=3))
    theta = next(v for v in data["traits"]["spec"]["variables"] if v["name"] == "theta")
    assert theta["labels"] == ["theta[0]", "theta[1]", "theta[2]"] and theta["shape"] == [8]
    assert theta["note"] == "3 of 8 elements saved in this page"
    assert len(data["elements"]["theta"]) == 3
    assert len(data["sources"]["$table"]["rows"]) == 10 and len(data["sources"]["forest"]["mean"]) == 10


def test_var_names_and_pair_pass_to_the_dashboard(trace):
    data = read_page(dashboard_html(trace, var_names=["tau", "theta"], pair=["tau", "theta[2]"]))
    assert [v["name"] for v in data["traits"]["spec"]["variables"]] == ["tau", "theta"]
    assert data["traits"]["spec"]["pair"] == ["tau", "theta[2]"]
    np.testing.assert_array_equal(data["sources"]["pairhist/1"]["left"][0], trace.posterior["theta"][..., 2].min())


def test_bad_arguments_are_exmc_errors(trace):
    with pytest.raises(E.SettingsError, match="expected an exmc.Trace"):
        dashboard_html({"mu": np.zeros((1, 3))})
    with pytest.raises(E.SettingsError, match="max_elements must be a positive integer, got 0"):
        dashboard_html(trace, max_elements=0)
    with pytest.raises(E.SettingsError, match="no variable 'nope'"):
        dashboard_html(trace, var_names=["nope"])


def test_save_dashboard_writes_the_page_and_returns_its_absolute_path(trace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = save_dashboard(trace, "out/eight.html", title="eight <schools>")
    assert path == tmp_path / "out" / "eight.html"
    page = path.read_text(encoding="utf-8")
    assert "<title>eight &lt;schools&gt;</title>" in page
    np.testing.assert_array_equal(read_page(page)["sources"]["trace/mu/s1"]["y"], trace.posterior["mu"][1])


# The data each view holds, read from its ColumnDataSources (js/src/index.js exposes them).
SOURCES_JS = """(root) => Object.fromEntries([...root.__exmc.sources].map(
    ([id, cds]) => [id, Object.fromEntries(Object.entries(cds.data).map(([k, v]) => [k, Array.from(v)]))]))"""
CANVASES_JS = """(root) => { let n = 0; const walk = (node) => { for (const el of node.querySelectorAll('*')) {
    if (el.tagName === 'CANVAS') n++; if (el.shadowRoot) walk(el.shadowRoot); } }; walk(root); return n; }"""


def amber_share(png: bytes) -> float:
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return float(np.mean((r > 180) & (g > 90) & (g < 230) & (b < 90)))


@pytest.mark.browser
def test_page_draws_offline_in_chromium_and_switches_elements(trace, tmp_path):
    from playwright.sync_api import sync_playwright

    assert pathlib.Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    path = save_dashboard(trace, tmp_path / "eight.html")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            errors, elsewhere = [], []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            def offline(route):
                if route.request.url.startswith(("file:", "data:")):
                    return route.continue_()
                elsewhere.append(route.request.url)
                return route.abort()

            page.route("**/*", offline)
            page.goto(path.as_uri())
            root = page.locator(".exmc-dash")
            page.wait_for_function("(el) => el.dataset.ready === 'true'", arg=root.element_handle(), timeout=60_000)
            page.wait_for_function("(el) => el.querySelectorAll('.exmc-summary tbody tr').length === 10",
                                   arg=root.element_handle(), timeout=60_000)
            page.wait_for_timeout(500)  # let Bokeh paint
            assert root.locator(".exmc-title").inner_text() == f"MCMC Trace (4 chains x {DRAWS} draws)"
            assert root.locator(".exmc-row").count() == 3
            assert not root.locator("button.exmc-stop").is_visible()  # nothing to stop or extend
            rate = root.locator(".exmc-stat", has_text="draws/s").locator(".exmc-stat-value").inner_text()
            assert rate == "\u2013"  # no sampling rate for a finished trace: a dash, not 0
            assert root.evaluate(CANVASES_JS) >= 3 * 3 + 2 + 16
            shown = root.evaluate(SOURCES_JS)
            np.testing.assert_array_equal(shown["trace/tau/s2"]["y"], trace.posterior["tau"][2])
            np.testing.assert_array_equal(shown["trace/theta/s0"]["y"], trace.posterior["theta"][0, :, 0])
            assert amber_share(root.screenshot()) > 0.01  # glyphs painted, amber on black

            menu = root.locator("input.exmc-element").first
            menu.fill("theta[5]")
            menu.press("Enter")
            page.wait_for_function(
                "([el, y]) => el.__exmc.sources.get('trace/theta/s0').data.y[0] === y",
                arg=[root.element_handle(), float(trace.posterior["theta"][0, 0, 5])], timeout=30_000)
            shown = root.evaluate(SOURCES_JS)
            for c in range(4):
                np.testing.assert_array_equal(shown[f"trace/theta/s{c}"]["y"], trace.posterior["theta"][c, :, 5])
            np.testing.assert_array_equal(shown["trace/mu/s0"]["y"], trace.posterior["mu"][0])
            assert errors == [] and elsewhere == []
        finally:
            browser.close()


def test_save_dashboard_is_reachable_from_the_package():
    import exmc_widgets

    assert exmc_widgets.save_dashboard is save_dashboard
    with pytest.raises(AttributeError, match="no_such_thing"):
        exmc_widgets.no_such_thing  # noqa: B018

