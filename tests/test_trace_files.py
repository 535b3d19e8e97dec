"""Trace files: a failed save keeps the earlier file, damage is an error, never other numbers,
and every failure to save or load is an ``exmc.TraceFileError`` naming the file (issue 10)."""

import errno
import json
import os
import random
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

import exmc
from exmc import trace_io


def synthetic(seed: int = 0, draws: int = 5) -> exmc.Trace:
    rng = np.random.default_rng(seed)
    return exmc.Trace(
        posterior={"m": rng.normal(size=(2, draws, 3)), "s": rng.exponential(size=(2, draws))},
        sample_stats={"diverging": rng.uniform(size=(2, draws)) < 0.2, "tree_depth": np.full((2, draws), 3, np.int32)},
        observed_data={"y": np.array([1.0, 2.5]), "scalar": np.array(3.0)},
        attrs={"seed": seed, "note": "text"},
    )


def assert_same(a: exmc.Trace, b: exmc.Trace):
    assert a.groups() == b.groups() and a.attrs == b.attrs
    for group in a.groups():
        for name, values in getattr(a, group).items():
            np.testing.assert_array_equal(getattr(b, group)[name], values)


def test_a_save_that_fails_midway_leaves_the_earlier_file_and_no_debris(tmp_path, monkeypatch):
    path = tmp_path / "trace.nc"
    old = synthetic(0)
    old.save(path)
    real_write = trace_io._write

    def disk_full(target, meta, contents):
        real_write(target, meta, dict(list(contents.items())[:1]))  # the first group reaches the disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(trace_io, "_write", disk_full)
    with pytest.raises(exmc.TraceFileError, match="No space left on device") as info:
        synthetic(1).save(path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert os.listdir(tmp_path) == ["trace.nc"]  # the temporary file is gone
    monkeypatch.undo()
    assert_same(old, exmc.load_trace(path))


def test_a_real_write_error_in_a_child_process_keeps_the_earlier_file(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG): a real failed write,
    as on a full disk, without needing a small filesystem."""
    script = textwrap.dedent(f"""
        import json, resource, signal, numpy as np, exmc
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
        path = {str(tmp_path / "trace.nc")!r}
        small = exmc.Trace(posterior={{"m": np.arange(10.0).reshape(2, 5)}}, sample_stats={{}}, attrs={{"which": "small"}})
        small.save(path)
        limit = 200_000
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        big = exmc.Trace(posterior={{"m": np.random.default_rng(0).normal(size=(2, 50_000))}}, sample_stats={{}})
        try:
            big.save(path)
            outcome = "saved"
        except exmc.TraceFileError as err:
            outcome = str(err)
        kept = exmc.load_trace(path)
        print(json.dumps({{"outcome": outcome, "which": kept.attrs["which"], "m": kept.posterior["m"].tolist()}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "could not be saved" in report["outcome"] and str(tmp_path / "trace.nc") in report["outcome"]
    assert report["which"] == "small" and report["m"] == np.arange(10.0).reshape(2, 5).tolist()
    assert os.listdir(tmp_path) == ["trace.nc"]


def _flipped(path, position: int, out):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def _positions(path) -> dict[str, int]:
    """Bytes worth damaging: inside a draw array, inside the JSON of the settings, HDF5's
    superblock, the checksum trailer."""
    with h5py.File(path, "r") as f:
        dataset = f["posterior"]["m"]
        offset = dataset.id.get_chunk_info(0).byte_offset if dataset.chunks else dataset.id.get_offset()
    data = path.read_bytes()
    return {
        "a draw": offset + 3,
        "the settings' JSON": data.index(b'"note"') + 2,
        "HDF5's superblock": 9,
        "the checksum": len(data) - 5,
        "the checksum's marker": len(data) - 40,
    }


@pytest.mark.parametrize("where", ["a draw", "the settings' JSON", "HDF5's superblock", "the checksum",
                                   "the checksum's marker"])
def test_a_flipped_byte_is_an_error_naming_the_file(tmp_path, where):
    path = tmp_path / "trace.nc"
    synthetic(0).save(path)
    bad = _flipped(path, _positions(path)[where], tmp_path / "bad.nc")
    with pytest.raises(exmc.TraceFileError, match="damaged") as info:
        exmc.load_trace(bad)
    assert str(bad) in str(info.value)


def test_no_flipped_byte_anywhere_loads_as_other_numbers(tmp_path):
    path = tmp_path / "trace.nc"
    synthetic(0).save(path)
    size = path.stat().st_size
    for position in random.Random(10).sample(range(size), 40):
        with pytest.raises(exmc.TraceFileError):
            exmc.load_trace(_flipped(path, position, tmp_path / "bad.nc"))


def test_arrays_carry_fletcher32_checksums_and_arviz_still_reads_the_file(tmp_path):
    import arviz as az

    path = tmp_path / "trace.nc"
    synthetic(0).save(path)
    with h5py.File(path, "r") as f:
        assert f["posterior"]["m"].fletcher32 and f["sample_stats"]["diverging"].fletcher32
    np.testing.assert_array_equal(az.from_netcdf(path).posterior["m"].values, synthetic(0).posterior["m"])


def test_saving_keeps_the_old_file_s_permissions(tmp_path):
    path = tmp_path / "trace.nc"
    synthetic(0).save(path)
    os.chmod(path, 0o640)
    synthetic(1).save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert exmc.load_trace(path).attrs["seed"] == 1


def _truncated(tmp_path):
    path = tmp_path / "cut.nc"
    synthetic(0).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _garbled_settings(tmp_path):
    """A file whose checksum is right but whose settings are not JSON (as if written so)."""
    import hashlib

    path = tmp_path / "garbled.nc"
    synthetic(0).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(trace_io.MAGIC)])
    with h5py.File(path, "r+") as f:
        f.attrs["exmc_attrs"] = "{not json"
    data = path.read_bytes()
    path.write_bytes(data + trace_io.MAGIC + hashlib.sha256(data).digest())
    return path


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: d / "missing.nc", "no file"),
        (lambda d: d, "folder"),
        (lambda d: (d / "text.nc").write_text("not a netCDF file") and d / "text.nc", "not a netCDF"),
        (lambda d: (d / "empty.nc").write_bytes(b"") or d / "empty.nc", "not a netCDF"),
        (_truncated, "damaged|checksum|not a netCDF"),
        (_garbled_settings, "damaged or not a complete Exmc trace"),
    ],
    ids=["missing", "a folder", "text", "empty", "truncated", "bad JSON"],
)
def test_every_load_failure_is_a_trace_file_error_naming_the_file(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(exmc.TraceFileError, match=match) as info:
        exmc.load_trace(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "target, match",
    [(lambda d: d / "no_such_folder" / "t.nc", "cannot write in"), (lambda d: d, "is a folder")],
    ids=["missing folder", "a folder"],
)
def test_every_save_failure_is_a_trace_file_error_naming_the_file(tmp_path, target, match):
    path = target(tmp_path)
    with pytest.raises(exmc.TraceFileError, match=match) as info:
        synthetic(0).save(path)
    assert str(path) in str(info.value)


def test_an_object_array_is_refused_not_saved_as_int64(tmp_path):
    trace = synthetic(0)
    trace.posterior["k"] = np.array([[1, 2, 3, 4, 5]] * 2, dtype=object)
    with pytest.raises(exmc.ExmcError, match="dtype object") as info:
        trace.save(tmp_path / "t.nc")
    assert info.value.node == "k"
    assert not (tmp_path / "t.nc").exists()
