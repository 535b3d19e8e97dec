#!/usr/bin/env bash
# On a machine with a GPU (run from the repository root, after `make install` and
# `pip install -U "jax[cuda12]"`): the layout tests, then the layouts on the GPU.
# Output: the pytest summary, the posterior checks and a timing table (paste into README).
set -euo pipefail
PY=${PY:-.venv/bin/python}
"$PY" -c 'import jax; assert jax.default_backend() == "gpu", jax.devices(); print(jax.devices())'
# 1. The CPU semantics on this machine (4 simulated CPU devices, multi-host on loopback).
JAX_PLATFORMS=cpu timeout 900 "$PY" -m pytest -q -p no:cacheprovider \
    tests/sampler/test_layouts.py tests/sampler/test_multihost.py tests/sampler/test_sample.py
# 2. The sampler on the GPU: posterior tests in-process (threads = one GPU program per chain).
timeout 900 "$PY" -m pytest -q -p no:cacheprovider tests/sampler/test_posteriors.py \
    -k "conjugate or standard_normal_mean"
# 3. Posterior checks and timings of threads vs vectorized vs devices on the GPU.
timeout 900 "$PY" benchmarks/gpu_check.py
