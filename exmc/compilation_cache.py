"""JAX's persistent compilation cache, on for Exmc by default (decision 51).

A model's sampler is one XLA program; compiling it is most of a small model's first call.
XLA's executables are cached on disk by JAX, keyed by the program's text (the constants of the
model included; its data are arguments, decision 57), the compile options and the jaxlib version, so a later process
that builds the same model loads the executable instead of compiling it again: a notebook
kernel restarted, a script run twice.

Directory: ``$EXMC_COMPILATION_CACHE`` if it names a directory, else
``$XDG_CACHE_HOME/exmc/jax`` (``~/.cache/exmc/jax`` when XDG_CACHE_HOME is unset).
Off: ``EXMC_COMPILATION_CACHE=0`` (or ``off``, ``false``, ``no``) before importing exmc.
Clear: ``exmc.clear_compilation_cache()``, or delete the directory.
A cache directory the user already gave JAX (``jax_compilation_cache_dir``) is left alone.

The setting is JAX's, so it is process-wide: the user's own jitted functions are cached
there too (JAX's own default is to cache nothing, and only compilations over 1 s; Exmc's
take less, so the threshold is lowered to 0).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jax

ENV = "EXMC_COMPILATION_CACHE"
_OFF = {"0", "off", "false", "no"}


def cache_dir() -> Path | None:
    """Where Exmc keeps compiled programs, or None when the cache is turned off."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "exmc" / "jax"


def enable() -> Path | None:
    """Point JAX's persistent cache at ``cache_dir()`` unless it is off or the user chose a
    directory; returns the directory in use (None if none)."""
    chosen = jax.config.jax_compilation_cache_dir
    if chosen:
        return Path(chosen)
    directory = cache_dir()
    if directory is None:
        return None
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory


def clear_compilation_cache() -> None:
    """Delete every compiled program in Exmc's cache directory (``cache_dir()``); later
    compilations fill it again. Does nothing when the cache is off."""
    directory = cache_dir()
    if directory is not None and directory.exists():
        # the directory itself stays: JAX, already pointed at it, writes new entries there
        for entry in directory.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
