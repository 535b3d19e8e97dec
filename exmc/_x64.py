"""Float64 for Exmc's own computations, without touching the user's JAX configuration.

``jax.enable_x64`` is a thread-local context manager: every public entry point that traces
or runs JAX code enters it, so Exmc computes in float64 while the user's other JAX code
keeps whatever precision it was configured with (decision 5).
"""

from __future__ import annotations

import jax

x64 = jax.enable_x64
