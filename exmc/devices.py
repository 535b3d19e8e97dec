"""``exmc.set_host_devices(n)``: n CPU devices on one machine, for the layouts that spread
chains or data over devices (tests and CI simulate a mesh this way)."""

from __future__ import annotations

import numbers

import jax

from exmc import errors as E


def _backends_started() -> bool:
    from jax._src import xla_bridge

    return bool(getattr(xla_bridge, "_backends", None))


def set_host_devices(n: int) -> None:
    """Give JAX ``n`` CPU devices (``jax_num_cpu_devices``).

    Call it before any JAX computation (importing jax or exmc is fine): JAX fixes its devices
    when its first computation starts its backends. Afterwards a call asking for the count
    already in place does nothing, and one asking for another raises ``SettingsError``
    (restart the process, or call this first).
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise E.SettingsError(None, f"set_host_devices: n must be an integer >= 1, got {n!r}")
    n = int(n)
    if _backends_started():
        have = len(jax.local_devices(backend="cpu"))
        if have == n:
            return
        raise E.SettingsError(
            None, f"set_host_devices({n}): JAX has already started with {have} CPU devices; call "
            "exmc.set_host_devices before any JAX computation (a fresh process)")
    jax.config.update("jax_num_cpu_devices", n)
