"""The persistent compilation cache: where it lives, how to turn it off, how to clear it,
and that a second process loads the sampler instead of compiling it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import exmc
from exmc import compilation_cache


def test_cache_dir_honours_xdg_cache_home_and_the_off_switch(monkeypatch, tmp_path):
    monkeypatch.delenv(compilation_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compilation_cache.cache_dir() == tmp_path / "exmc" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert compilation_cache.cache_dir() == tmp_path / "home" / ".cache" / "exmc" / "jax"
    monkeypatch.setenv(compilation_cache.ENV, str(tmp_path / "mine"))
    assert compilation_cache.cache_dir() == tmp_path / "mine"
    for off in ("0", "off", "False"):
        monkeypatch.setenv(compilation_cache.ENV, off)
        assert compilation_cache.cache_dir() is None


def test_clear_empties_the_directory_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.setenv(compilation_cache.ENV, str(tmp_path / "c"))
    (tmp_path / "c" / "sub").mkdir(parents=True)
    (tmp_path / "c" / "entry-cache").write_bytes(b"x")
    exmc.clear_compilation_cache()
    assert (tmp_path / "c").is_dir() and not any((tmp_path / "c").iterdir())


PROCESS = textwrap.dedent("""
    import jax, exmc
    hits = []
    jax.monitoring.register_event_listener(lambda event, **_: hits.append(event))
    ir = exmc.Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    exmc.sample(ir, draws=20, tune=20, chains=2, seed=0, progressbar=False)
    print("HITS", hits.count("/jax/compilation_cache/cache_hits"))
""")


def run_process(env) -> int:
    out = subprocess.run([sys.executable, "-c", PROCESS], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split("HITS")[1])


@pytest.mark.slow
def test_a_second_process_loads_the_compiled_sampler(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop(compilation_cache.ENV, None)
    assert run_process(env) == 0
    assert any((tmp_path / "exmc" / "jax").iterdir())
    assert run_process(env) >= 2  # the chunk and the draws' values, at least
    env[compilation_cache.ENV] = "off"
    assert run_process(env) == 0
