"""The Trace outside Exmc: ArviZ's InferenceData, and a netCDF file that round-trips exactly.

The file is netCDF-4 (HDF5, written by xarray with h5netcdf) laid out as ArviZ's InferenceData
files are: one group per Trace group, dimensions ``chain``, ``draw`` and the variable's named
dimensions with their labels as coordinates (``trace.dims``, ``trace.coords``) or ``{name}_dim_{i}``,
sampler statistics under ArviZ's names. So ``arviz.from_netcdf(path)`` reads it too. What
InferenceData has no place for (the rewrite report, which variables are auxiliary, the
settings, the variables' order) is JSON in the root group's attributes. Every array keeps its
values and dtype exactly (bool ``diverging``, int ``tree_depth``, float64 draws).

Safe to write and to read (decision 38): ``save`` writes a temporary
file beside the target and renames it over the target only once it is complete and on disk,
so a failed save (a full disk, a write error, Ctrl-C) leaves the earlier file as it was.
Arrays are stored with HDF5's Fletcher-32 filter, and the file ends with a SHA-256 of every
byte before it, checked before HDF5 parses the file: a damaged file raises, it never loads
as different numbers (nor sends HDF5 looping on a broken B-tree). Every failure to save or
load is an ``exmc.TraceFileError`` naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from typing import Mapping

import numpy as np

from exmc import errors as E
from exmc.ir.nodes import Rewrite, frozen_params
from exmc.trace import DRAW_GROUPS, GROUPS, Trace

FORMAT = "exmc-trace"
VERSION = 2  # 2: the SHA-256 trailer and Fletcher-32 on arrays; version-1 files still load
MAGIC = b"\nexmc-trace-sha256\n"  # then 32 bytes: SHA-256 of every byte before MAGIC
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
    from exmc.dims import fitting_dims

    groups = {}
    for group in GROUPS:
        values = getattr(trace, group)
        if group in ("posterior", "warmup_posterior") and not auxiliary:
            values = {k: v for k, v in values.items() if k not in trace.auxiliary}
        if values:
            groups[group] = _renamed(group, values, ARVIZ_STATS)
    # named dimensions (decision 61): the trace's dims and coords, where the arrays fit them
    dims = fitting_dims(trace, groups)
    used = {d for named in dims.values() for d in named}
    coords = {d: list(trace.coords[d]) for d in used}
    # from_dict needs a posterior or a prior to size chains and draws from
    return az.from_dict(**groups, save_warmup=True, attrs={"created_by": "exmc"},
                        dims={k: list(v) for k, v in dims.items()} or None, coords=coords or None)


def _dims(name: str, array: np.ndarray, group: str, named: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    lead = () if group == "observed_data" else ("chain", "draw")
    if named and name in named:
        return lead + tuple(named[name])
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


def _checked_arrays(trace: Trace, groups) -> dict[str, dict[str, np.ndarray]]:
    """Every group's arrays, refusing what netCDF cannot hold exactly."""
    out = {}
    for group in groups:
        values = {}
        for name, value in getattr(trace, group).items():
            array = np.asarray(value)
            if array.dtype.kind not in "biufc":  # objects would be cast (to int64), strings lost
                raise E.ExmcError(
                    name, f"save: {group} array '{name}' has dtype {array.dtype}; a trace holds numbers "
                    "(bool, int, float, complex): convert it first"
                )
            values[name] = array
        out[group] = values
    return out


def _file_digest(path: str, length: int | None = None) -> bytes:
    """SHA-256 of the first ``length`` bytes of the file (all of it by default), read in blocks."""
    digest = hashlib.sha256()
    left = os.path.getsize(path) if length is None else length
    with open(path, "rb") as f:
        while left > 0:
            block = f.read(min(left, 1 << 22))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.digest()


def _verify(path: str) -> bool:
    """Check the trailer before HDF5 parses anything (a damaged superblock or B-tree can make
    HDF5 loop or misread); False when the file has no trailer (a version-1 file)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(size - len(MAGIC) - 32, 0))
        tail = f.read()
    if len(tail) < len(MAGIC) + 32 or not tail.startswith(MAGIC):
        return False
    if _file_digest(path, size - len(tail)) != tail[len(MAGIC):]:
        raise E.TraceFileError(path, "is damaged: its bytes do not match the SHA-256 checksum written with them")
    return True


def _image(meta: dict[str, str], contents: Mapping[str, Mapping[str, np.ndarray]]) -> io.BytesIO:
    """The netCDF file, built in memory. Not written by HDF5 to disk: when a write fails
    (a full disk), h5py's close crashes the process (a segmentation fault, seen with h5py
    3.16 and HDF5 2.0), which would lose the trace being saved; plain writes fail cleanly."""
    import xarray as xr

    from exmc.dims import fitting_dims

    # named dimensions (decision 61), for the arrays that fit them
    labels = {k: tuple(v) for k, v in json.loads(meta.get("exmc_coords", "{}")).items()}
    named = fitting_dims(Trace({}, {}, dims=json.loads(meta.get("exmc_dims", "{}")), coords=labels), contents)
    image = io.BytesIO()
    xr.Dataset(attrs=meta).to_netcdf(image, mode="w", engine="h5netcdf")
    for group, arrays in contents.items():
        values = _renamed(group, arrays, ARVIZ_STATS)
        data_vars = {k: (_dims(k, v, group, named), v) for k, v in values.items()}
        coords = {}
        if group in DRAW_GROUPS:
            first = next(iter(values.values()))
            coords = {"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
        # the named dimensions' labels as coordinates (so ArviZ reading the file sees them too)
        coords.update({d: np.asarray(labels[d]) for k in values if k in named for d in named[k]})
        # HDF5's Fletcher-32 filter on every chunked (non-empty, non-scalar) array
        encoding = {k: {"fletcher32": True} for k, v in values.items() if v.ndim and v.size}
        xr.Dataset(data_vars, coords=coords).to_netcdf(
            image, mode="a", group=group, engine="h5netcdf", encoding=encoding
        )
    return image


def _write(path: str, meta: dict[str, str], contents: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """The file's image, then the trailer (MAGIC and the SHA-256 of every byte before it;
    HDF5, h5py and ArviZ ignore bytes past the end of HDF5's data), flushed to disk."""
    image = _image(meta, contents)
    with image.getbuffer() as view, open(path, "wb") as f:
        f.write(view)
        f.write(MAGIC + hashlib.sha256(view).digest())
        f.flush()
        os.fsync(f.fileno())


def _sync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_mode(path: str) -> int:
    """The mode the file would have if opened plainly: the old file's, or 0o666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save(trace: Trace, path) -> None:
    """Write ``trace`` to ``path`` (netCDF-4). ``exmc.load_trace(path)`` gives it back exactly.

    Atomic: the file is written under a temporary name in the same folder, flushed to disk
    and renamed over ``path``, so a failure (a full disk, Ctrl-C) leaves any earlier file at
    ``path`` intact. Arrays carry HDF5's Fletcher-32 checksums, and the file ends with a
    SHA-256 of all its bytes, checked at load before HDF5 reads anything, so a damaged file is
    an error, never different numbers. Any failure is an ``exmc.TraceFileError``.
    """
    if not isinstance(trace, Trace):
        raise E.ExmcError(None, f"save expects an exmc.Trace, got {type(trace).__name__}")
    try:
        path = os.fspath(path)
    except TypeError:
        raise E.ExmcError(None, f"save expects a file path, got {type(path).__name__}") from None
    try:
        attrs_json = json.dumps(trace.attrs)
    except (TypeError, ValueError) as err:
        raise E.ExmcError(None, f"trace.attrs must hold plain values (numbers, strings, lists): {err}") from None
    groups = trace.groups()
    contents = _checked_arrays(trace, groups)
    meta = {
        "exmc_format": FORMAT,
        "exmc_format_version": VERSION,
        "exmc_groups": json.dumps(groups),
        "exmc_variables": json.dumps({g: list(contents[g]) for g in groups}),
        "exmc_rewrites": _rewrites_to_json(trace.rewrites),
        "exmc_auxiliary": json.dumps(trace.auxiliary),
        "exmc_attrs": attrs_json,
        "exmc_dims": json.dumps({k: list(v) for k, v in trace.dims.items()}),
        "exmc_coords": json.dumps({k: list(v) for k, v in trace.coords.items()}),
    }
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise E.TraceFileError(path, "is a folder; give a file name")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as err:
        raise E.TraceFileError(path, f"cannot write in {folder!r}: {err.strerror or err}") from None
    try:
        _write(temporary, meta, contents)
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException as err:
        try:
            os.remove(temporary)
        except OSError:
            pass
        if isinstance(err, Exception):
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise E.TraceFileError(
                path, f"could not be saved ({type(err).__name__}: {reason}); any earlier file there is unchanged"
            ) from err
        raise
    try:  # the rename itself reaches the disk with the folder's entry
        _sync(folder)
    except OSError:
        pass


def load_trace(path) -> Trace:
    """Read a trace written by ``trace.save(path)``: every group, the rewrite report, the
    auxiliary variables and the settings, values and dtypes exactly as saved.

    Raises ``exmc.TraceFileError`` naming the file and the problem if it is missing,
    unreadable, not an Exmc trace, or damaged (a checksum does not match)."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise E.ExmcError(None, f"load_trace expects a file path, got {type(path).__name__}") from None
    if not os.path.exists(path):
        raise E.TraceFileError(path, "no file there")
    if os.path.isdir(path):
        raise E.TraceFileError(path, "is a folder, not a trace file")
    try:
        return _load(path)
    except E.TraceFileError:
        raise
    except PermissionError as err:
        raise E.TraceFileError(path, f"cannot be read: {err.strerror}") from None
    except Exception as err:  # h5py, xarray and json report damage in many types; all mean the same
        raise E.TraceFileError(
            path, f"is damaged or not a complete Exmc trace ({type(err).__name__}: {err})"
        ) from err


def _load(path: str) -> Trace:
    import xarray as xr

    sealed = _verify(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf") as root:
            meta = dict(root.attrs)
    except (OSError, ValueError) as err:
        raise E.TraceFileError(path, f"is not a netCDF trace file ({err})") from None
    if meta.get("exmc_format") != FORMAT:
        raise E.TraceFileError(path, "was not written by exmc's trace.save")
    order = json.loads(meta["exmc_variables"])
    contents: dict[str, dict[str, np.ndarray]] = {}
    for group in json.loads(meta["exmc_groups"]):
        with xr.open_dataset(path, group=group, engine="h5netcdf") as ds:
            values = {k: np.array(ds[ARVIZ_STATS.get(k, k) if group in _STAT_GROUPS else k].values)
                      for k in order[group]}
        contents[group] = values
    if not sealed and int(meta.get("exmc_format_version", 1)) >= 2:
        raise E.TraceFileError(path, "has lost its checksum trailer: the file is damaged or was cut short")
    return Trace(
        posterior=contents.get("posterior", {}),
        sample_stats=contents.get("sample_stats", {}),
        **{g: contents.get(g, {}) for g in GROUPS if g not in ("posterior", "sample_stats")},
        rewrites=_rewrites_from_json(meta["exmc_rewrites"]),
        auxiliary=json.loads(meta["exmc_auxiliary"]),
        attrs=json.loads(meta["exmc_attrs"]),
        # files written before named dimensions (decision 61) have neither
        dims={k: tuple(v) for k, v in json.loads(meta.get("exmc_dims", "{}")).items()},
        coords={k: tuple(v) for k, v in json.loads(meta.get("exmc_coords", "{}")).items()},
    )
