"""One process of a multi-host run on this machine: ``python multihost_worker.py PORT ID
PROCESSES OUT`` (PROCESSES = 1: a single process with 4 CPU devices, the reference).

Each of 2 processes has 2 CPU devices; together they form a 4-device mesh over gloo
collectives on 127.0.0.1. Every process runs the same ``exmc.sample`` calls; with
``shard_data`` each process's devices hold half the rows. Writes the trace it received.
"""

from __future__ import annotations

import sys

import jax

port, process_id, processes, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

import exmc  # noqa: E402  (starts no JAX computation)

exmc.set_host_devices(4 // processes)
if processes > 1:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}", coordinator_bind_address=f"127.0.0.1:{port}",
        num_processes=processes, process_id=process_id,
        initialization_timeout=60, heartbeat_timeout_seconds=30, shutdown_timeout_seconds=30,
    )

import numpy as np  # noqa: E402

from exmc import Builder  # noqa: E402

assert jax.device_count() == 4 and jax.process_count() == processes
y = np.random.default_rng(11).normal(1.3, 0.7, size=802)  # 200 rows a device, 2 left on every device
ir = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 2.0})
      .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
      .rv("y", exmc.Normal, {"mu": "mu", "sigma": "sigma"}).obs("y_obs", "y", y))
settings = dict(draws=60, tune=60, seed=3, progressbar=False, checks=False, chain_method="devices")
chains = exmc.sample(ir, chains=4, **settings)               # chains over the 4 devices
data = exmc.sample(ir, chains=2, shard_data=True, **settings)  # rows over the 4 devices
arrays = {f"chains_{k}": v for k, v in chains.posterior.items()}
arrays.update({f"data_{k}": v for k, v in data.posterior.items()})
arrays.update({f"chains_stat_{k}": v for k, v in chains.sample_stats.items()})
arrays.update({f"data_stat_{k}": v for k, v in data.sample_stats.items()})
np.savez(out, **arrays, sharded=np.array(data.attrs["sharded_data"]))
print("worker", process_id, "done", flush=True)
if processes > 1:
    jax.distributed.shutdown()
