"""The committed front-end bundle is built from the committed sources (`make js` rebuilds it).

js/build.mjs writes a sha256 of js/src, build.mjs and package-lock.json into the bundle's
first line; recomputing it here needs no node, so a source edited without a rebuild fails.
"""

import hashlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).parents[2]
JS = ROOT / "js"
STATIC = ROOT / "exmc_widgets" / "static"


def sources_hash() -> str:
    paths = [p for p in (JS / "src").rglob("*") if p.is_file()] + [JS / "build.mjs", JS / "package-lock.json"]
    digest = hashlib.sha256()
    for name, path in sorted((p.relative_to(JS).as_posix(), p) for p in paths):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@pytest.mark.parametrize("bundle", ["dashboard.js", "dashboard.css"])
def test_bundle_is_built_from_the_current_sources(bundle):
    first = (STATIC / bundle).read_text().splitlines()[0]
    built = re.search(r"sources-sha256: ([0-9a-f]{64})", first)
    assert built, f"{bundle} has no sources hash: rebuild it with `make js`"
    assert built.group(1) == sources_hash(), f"{bundle} is older than js/: rebuild it with `make js`"


def test_esbuild_is_pinned():
    import json

    package = json.loads((JS / "package.json").read_text())
    lock = json.loads((JS / "package-lock.json").read_text())
    pinned = package["devDependencies"]["esbuild"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)
    assert lock["packages"]["node_modules/esbuild"]["version"] == pinned


def test_the_bundle_holds_no_bokehjs():
    # BokehJS comes from the installed bokeh package at run time (DECISIONS), never bundled
    assert (STATIC / "dashboard.js").stat().st_size < 200_000
