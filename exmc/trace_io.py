"""The Trace outside Exmc: ArviZ's InferenceData, and a netCDF file that round-trips exactly.

The file is netCDF-4 (HDF5, written by xarray with h5netcdf) laid out as ArviZ's InferenceData
files are: one group per Trace group, dimensions ``chain``, ``draw`` and ``{name}_dim_{i}``,
sampler statistics under ArviZ's names. So ``arviz.from_netcdf(path)`` reads it too. What
InferenceData has no place for (the rewrite report, which variables are auxiliary, the
settings, the variables' order) is JSON in the root group's attributes. Every array keeps its
values and dtype exactly (bool ``diverging``, int ``tree_depth``, float64 draws).
"""

from __future__ import annotations

import json
import os
from typing import Mapping

import numpy as np

from exmc import errors as E
from exmc.ir.nodes import Rewrite, frozen_params
from exmc.trace import DRAW_GROUPS, GROUPS, Trace

FORMAT = "exmc-trace"
VERSION = 1
# Exmc's statistic names -> ArviZ's (the others are the same in both)
ARVIZ_STATS = {"accept_prob": "acceptance_rate"}
EXMC_STATS = {v: k for k, v in ARVIZ_STATS.items()}
_STAT_GROUPS = ("sample_stats", "warmup_sample_stats")


def _renamed(group: str, values: Mapping[str, np.ndarray], names: Mapping[str, str]) -> dict[str, np.ndarray]:
    if group not in _STAT_GROUPS:
        return dict(values)
    return {names.get(k, k): v for k, v in values.items()}


def to_arviz(trace: Trace, *, auxiliary: bool = False):
    """``arviz.InferenceData`` with ArviZ's group names: posterior, sample_stats,
    warmup_posterior, warmup_sample_stats, observed_data, log_likelihood, prior,
    prior_predictive, posterior_predictive (those the trace holds).

    ``auxiliary=False`` leaves out the rewrites' auxiliary variables (``theta_raw``), so
    ``arviz.summary`` shows the model as the user wrote it (``exmc.summary`` does the same);
    ``accept_prob`` is named ``acceptance_rate`` as ArviZ expects.
    """
    try:
        import arviz as az
    except ImportError:  # pragma: no cover - arviz is a test dependency
        raise E.ExmcError(None, "trace.to_arviz() needs ArviZ: pip install arviz") from None
    groups = {}
    for group in GROUPS:
        values = getattr(trace, group)
        if group in ("posterior", "warmup_posterior") and not auxiliary:
            values = {k: v for k, v in values.items() if k not in trace.auxiliary}
        if values:
            groups[group] = _renamed(group, values, ARVIZ_STATS)
    # from_dict needs a posterior or a prior to size chains and draws from
    return az.from_dict(**groups, save_warmup=True, attrs={"created_by": "exmc"})


def _dims(name: str, array: np.ndarray, group: str) -> tuple[str, ...]:
    lead = () if group == "observed_data" else ("chain", "draw")
    return lead + tuple(f"{name}_dim_{i}" for i in range(array.ndim - len(lead)))


def _json_value(value):
    if isinstance(value, str):
        return {"ref": value}
    array = np.asarray(value)
    return {"array": array.tolist(), "dtype": array.dtype.str, "shape": list(array.shape)}


def _from_json_value(value):
    if "ref" in value:
        return value["ref"]
    array = np.array(value["array"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    array.setflags(write=False)
    return array


def _rewrites_to_json(rewrites) -> str:
    return json.dumps([
        {"pass_name": r.pass_name, "node": r.node, "aux": list(r.aux), "detail": r.detail,
         "params": {k: _json_value(v) for k, v in r.params.items()}}
        for r in rewrites
    ])


def _rewrites_from_json(text: str) -> tuple[Rewrite, ...]:
    return tuple(
        Rewrite(r["pass_name"], r["node"], tuple(r["aux"]), r["detail"],
                frozen_params({k: _from_json_value(v) for k, v in r["params"].items()}))
        for r in json.loads(text)
    )


def save(trace: Trace, path) -> None:
    """Write ``trace`` to ``path`` (netCDF-4). ``exmc.load_trace(path)`` gives it back exactly."""
    import xarray as xr

    if not isinstance(trace, Trace):
        raise E.ExmcError(None, f"save expects an exmc.Trace, got {type(trace).__name__}")
    try:
        attrs_json = json.dumps(trace.attrs)
    except TypeError as err:
        raise E.ExmcError(None, f"trace.attrs must hold plain values (numbers, strings, lists): {err}") from None
    groups = trace.groups()
    order = {g: list(getattr(trace, g)) for g in groups}
    root = xr.Dataset(attrs={
        "exmc_format": FORMAT,
        "exmc_format_version": VERSION,
        "exmc_groups": json.dumps(groups),
        "exmc_variables": json.dumps(order),
        "exmc_rewrites": _rewrites_to_json(trace.rewrites),
        "exmc_auxiliary": json.dumps(trace.auxiliary),
        "exmc_attrs": attrs_json,
    })
    path = os.fspath(path)
    root.to_netcdf(path, mode="w", engine="h5netcdf")
    for group in groups:
        values = _renamed(group, getattr(trace, group), ARVIZ_STATS)
        data_vars = {k: (_dims(k, np.asarray(v), group), np.asarray(v)) for k, v in values.items()}
        coords = {}
        if group in DRAW_GROUPS:
            first = next(iter(values.values()))
            coords = {"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
        xr.Dataset(data_vars, coords=coords).to_netcdf(path, mode="a", group=group, engine="h5netcdf")


def load_trace(path) -> Trace:
    """Read a trace written by ``trace.save(path)``: every group, the rewrite report, the
    auxiliary variables and the settings, values and dtypes exactly as saved."""
    import xarray as xr

    path = os.fspath(path)
    if not os.path.exists(path):
        raise E.ExmcError(None, f"load_trace: no file at {path!r}")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as root:
            meta = dict(root.attrs)
    except (OSError, ValueError) as err:
        raise E.ExmcError(None, f"load_trace: {path!r} is not a netCDF trace file ({err})") from None
    if meta.get("exmc_format") != FORMAT:
        raise E.ExmcError(None, f"load_trace: {path!r} was not written by exmc's trace.save")
    order = json.loads(meta["exmc_variables"])
    contents: dict[str, dict[str, np.ndarray]] = {}
    for group in json.loads(meta["exmc_groups"]):
        with xr.open_dataset(path, group=group, engine="h5netcdf") as ds:
            values = {k: np.array(ds[ARVIZ_STATS.get(k, k) if group in _STAT_GROUPS else k].values)
                      for k in order[group]}
        contents[group] = values
    return Trace(
        posterior=contents.get("posterior", {}),
        sample_stats=contents.get("sample_stats", {}),
        **{g: contents.get(g, {}) for g in GROUPS if g not in ("posterior", "sample_stats")},
        rewrites=_rewrites_from_json(meta["exmc_rewrites"]),
        auxiliary=json.loads(meta["exmc_auxiliary"]),
        attrs=json.loads(meta["exmc_attrs"]),
    )
