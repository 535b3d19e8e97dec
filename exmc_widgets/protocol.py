"""The messages between the dashboard's Python side and its front end.

Python -> front end (custom widget messages):

- ``{"type": "ops", "seq": k, "snapshot": bool, "ops": [op, ...]}``: data for the panels.
  An op is ``{"op": "stream" | "replace", "source": id, "data": {column: array}}`` (append
  to / replace a ColumnDataSource) or ``{"op": "table", ...}`` (the summary table). ``seq``
  counts every message from 1. A front end applies a delta only when it has applied every
  message before it; after a gap (a page reloaded mid-run) it asks for a snapshot, which
  replaces everything it shows (the deltas before it are inside it).

Front end -> Python: ``{"type": "ready"}`` (send a snapshot),
``{"type": "stop"}``, ``{"type": "extend", "draws": n}``, ``{"type": "ack", "seq": k}`` (message
k is applied and drawn: Python keeps at most a few messages unacknowledged and merges what
it would send meanwhile, so a page that draws slowly never falls behind by more than those).

Arrays travel as binary buffers, never as JSON lists: :func:`encode` replaces each numeric
array by ``{"$buffer": i, "dtype": ..., "shape": [...]}`` naming its buffer. Only string
columns (labels) stay JSON. Payloads are validated here, so a malformed one fails in Python
with a message rather than as a blank panel in the browser.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

# Dtypes the front end turns into typed arrays (js/src/protocol.js mirrors this table).
DTYPES = {"float64": "Float64Array", "float32": "Float32Array", "int32": "Int32Array", "uint8": "Uint8Array"}
BUFFER_KEY = "$buffer"


class ProtocolError(ValueError):
    """A message the front end could not apply: a ragged column set, an unknown op."""


def _as_wire(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.bool_:
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.size and (array.min() < -(2**31) or array.max() >= 2**31):
            raise ProtocolError(f"integer column out of int32 range: [{array.min()}, {array.max()}]")
        return array.astype(np.int32)
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float64) if array.dtype != np.float32 else array
    raise ProtocolError(f"cannot send an array of dtype {array.dtype}")


def encode(message: Mapping[str, Any]) -> tuple[dict[str, Any], list[memoryview]]:
    """Split a message into JSON content and binary buffers.

    Numeric numpy arrays become buffer references (C-contiguous little-endian bytes);
    lists of strings and JSON scalars stay; a non-finite float scalar becomes None, since
    NaN is not JSON.
    """
    buffers: list[memoryview] = []

    def walk(value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "UO":
                return [str(v) for v in value.ravel()]
            wire = np.ascontiguousarray(_as_wire(value))
            buffers.append(memoryview(wire.astype(wire.dtype.newbyteorder("<"), copy=False)).cast("B"))
            return {BUFFER_KEY: len(buffers) - 1, "dtype": str(wire.dtype), "shape": list(wire.shape)}
        if isinstance(value, Mapping):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        if value is None or isinstance(value, str):
            return value
        raise ProtocolError(f"cannot encode a {type(value).__name__}")

    return walk(message), buffers


def decode(content: Mapping[str, Any], buffers: list) -> dict[str, Any]:
    """The inverse of :func:`encode` (what the front end does, for tests and tools)."""

    def walk(value):
        if isinstance(value, Mapping):
            if BUFFER_KEY in value:
                raw = bytes(buffers[value[BUFFER_KEY]])
                dtype = np.dtype(value["dtype"]).newbyteorder("<")
                return np.frombuffer(raw, dtype=dtype).reshape(value["shape"])
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(content)


def _columns(source: str, data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not data:
        raise ProtocolError(f"source {source!r}: no columns")
    columns = {}
    for name, column in data.items():
        array = np.asarray(column)
        if array.ndim != 1:
            raise ProtocolError(f"source {source!r}: column {name!r} must be one-dimensional, got shape {array.shape}")
        columns[name] = array
    lengths = {name: len(a) for name, a in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ProtocolError(f"source {source!r}: columns of different lengths {lengths}")
    return columns


def stream_op(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Append rows to a source (``ColumnDataSource.stream``): every column, equal lengths."""
    return {"op": "stream", "source": source, "data": _columns(source, data)}


def replace_op(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace a source's data; its column set is the source's whole column set."""
    return {"op": "replace", "source": source, "data": _columns(source, data)}


def table_op(columns: list[str], rows: list[list[str]], flagged: list[bool],
             low_ess: list[list[bool]] | None = None) -> dict[str, Any]:
    """The summary table: formatted ``rows``, ``flagged`` (R-hat) and ``low_ess`` ([bulk,
    tail] per row) flags."""
    low_ess = [[False, False] for _ in rows] if low_ess is None else low_ess
    if any(len(r) != len(columns) for r in rows) or len(flagged) != len(rows) or len(low_ess) != len(rows):
        raise ProtocolError("summary table: every row needs one cell per column and its flags")
    return {"op": "table", "columns": list(columns), "rows": [list(map(str, r)) for r in rows], "flagged": list(flagged),
            "low_ess": [[bool(b), bool(t)] for b, t in low_ess]}


def ops_message(seq: int, ops: list[dict[str, Any]], snapshot: bool = False) -> dict[str, Any]:
    return {"type": "ops", "seq": seq, "snapshot": snapshot, "ops": ops}


def apply_ops(sources: dict[str, dict[str, np.ndarray]], ops: list[Mapping[str, Any]]) -> None:
    """Apply ops to ``sources`` (id -> column -> array) the way the front end does: a
    reference model of the browser's state, used by the tests."""
    for op in ops:
        kind = op["op"]
        if kind == "replace":
            sources[op["source"]] = {k: np.asarray(v) for k, v in op["data"].items()}
        elif kind == "stream":
            old = sources.get(op["source"], {})
            sources[op["source"]] = {
                k: np.concatenate([old[k], np.asarray(v)]) if k in old else np.asarray(v) for k, v in op["data"].items()
            }
        elif kind == "table":
            sources["$table"] = {"rows": op["rows"], "flagged": op["flagged"], "low_ess": op.get("low_ess")}
        else:
            raise ProtocolError(f"unknown op {kind!r}")


def merge_ops(ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ops that, applied, leave the sources as ``ops`` applied in order would: one op per
    source (a replace, or a stream, with every later stream's rows appended) and the last
    table. What is held back for a page that has not caught up is sent this way."""
    merged: dict[str, dict[str, Any]] = {}
    for op in ops:
        kind = op["op"]
        if kind == "table":
            merged.pop("$table", None)
            merged["$table"] = dict(op)
            continue
        if kind not in ("replace", "stream"):
            raise ProtocolError(f"unknown op {kind!r}")
        source = op["source"]
        old = merged.pop(source, None)
        if kind == "replace" or old is None:
            merged[source] = {"op": kind, "source": source, "data": dict(op["data"])}
            continue
        data = {k: np.concatenate([old["data"][k], np.asarray(v)]) if k in old["data"] else np.asarray(v)
                for k, v in op["data"].items()}
        merged[source] = {"op": old["op"], "source": source, "data": data}
    return list(merged.values())
