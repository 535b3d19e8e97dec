"""A model's fingerprint: a SHA-256 digest of its IR's structure, distributions and constants.

Every trace carries the fingerprint of the model that made it (``trace.attrs
["model_fingerprint"]``); ``exmc.concat`` refuses to join traces whose fingerprints differ and
``resume`` accepts a rebuilt IR only if its fingerprint is the state's (decision 38).

The digest is built from a canonical byte stream, never from ``id()`` or Python's salted
``hash()``, so the same model gives the same fingerprint in every process (on one Python
version: a det node's function counts by its bytecode, constants and captured values, and
bytecode changes between Python versions). What enters, node by node in order: the node's
kind and every field but labels (a node's ``dims``; the model's ``coords`` are not nodes:
named dimensions rename axes, they do not change the model, decision 61); distributions and transforms by module and qualified name; constants
and data by dtype, shape and bytes; functions by bytecode, constants, the names they use,
default arguments and the values their closures capture (not where they were defined).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
import types
from typing import Mapping

import numpy as np

VERSION = b"exmc-fingerprint-1"
_MAX_DEPTH = 64  # nested closures and containers deeper than this count by their type only


def fingerprint(ir) -> str:
    """The hex SHA-256 fingerprint of ``ir`` (an ``exmc.IR``): equal for equal models, in any
    process; different when a node, a distribution, a constant, the data or a det node's
    function differs."""
    digest = hashlib.sha256(VERSION)
    _feed(digest, tuple(ir.nodes), 0, set())
    return digest.hexdigest()


def _tag(digest, kind: str, payload: bytes = b"") -> None:
    # length-prefixed, so that no two different streams of parts concatenate alike
    digest.update(struct.pack("<I", len(kind)) + kind.encode() + struct.pack("<Q", len(payload)) + payload)


def _name_of(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', type(obj).__name__))}"


def _feed(digest, value, depth: int, seen: set) -> None:
    if depth > _MAX_DEPTH:
        _tag(digest, "deep", type(value).__qualname__.encode())
        return
    if value is None or isinstance(value, (bool, str, bytes)):
        _tag(digest, type(value).__name__, repr(value).encode())
    elif isinstance(value, (int, float, complex, np.generic, np.ndarray)) or _is_jax_array(value):
        array = np.ascontiguousarray(np.asarray(value))
        if array.dtype == object:
            _tag(digest, "objects", repr(array.shape).encode())
            for item in array.ravel():
                _feed(digest, item, depth + 1, seen)
        else:
            _tag(digest, "array", f"{array.dtype.str}{array.shape}".encode() + array.tobytes())
    elif isinstance(value, type):
        _tag(digest, "type", _name_of(value).encode())
    elif isinstance(value, (tuple, list)):
        _tag(digest, type(value).__name__, str(len(value)).encode())
        for item in value:
            _feed(digest, item, depth + 1, seen)
    elif isinstance(value, (set, frozenset)):  # iteration order follows the salted hash: sort
        _tag(digest, "set", str(len(value)).encode())
        for item in sorted(value, key=repr):
            _feed(digest, item, depth + 1, seen)
    elif isinstance(value, Mapping):
        _tag(digest, "mapping", str(len(value)).encode())
        for key in sorted(value, key=repr):
            _feed(digest, key, depth + 1, seen)
            _feed(digest, value[key], depth + 1, seen)
    elif isinstance(value, types.CodeType):
        _code(digest, value, depth, seen)
    elif isinstance(value, (types.FunctionType, types.MethodType)) or callable(value) and hasattr(value, "__code__"):
        _function(digest, value, depth, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _tag(digest, "record", _name_of(type(value)).encode())
        for f in dataclasses.fields(value):
            if not f.metadata.get("fingerprint", True):  # labels only (dims): not the model
                continue
            _feed(digest, f.name, depth + 1, seen)
            _feed(digest, getattr(value, f.name), depth + 1, seen)
    elif isinstance(value, types.ModuleType):
        _tag(digest, "module", value.__name__.encode())
    elif callable(value):  # a builtin or a ufunc (jnp.exp): its name says what it computes
        _tag(digest, "callable", _name_of(value).encode())
    else:  # a plain object (a Transform): its class and its attributes
        _tag(digest, "object", _name_of(type(value)).encode())
        if id(value) not in seen and hasattr(value, "__dict__"):
            seen.add(id(value))  # ids only break cycles within this call; they never enter the digest
            _feed(digest, dict(vars(value)), depth + 1, seen)


def _is_jax_array(value) -> bool:
    return type(value).__module__.startswith("jax") and hasattr(value, "__array__")


def _code(digest, code: types.CodeType, depth: int, seen: set) -> None:
    _tag(digest, "code", code.co_code)
    _feed(digest, code.co_names, depth + 1, seen)
    _feed(digest, code.co_varnames, depth + 1, seen)
    _feed(digest, code.co_consts, depth + 1, seen)  # nested functions' code objects too


def _function(digest, fn, depth: int, seen: set) -> None:
    # not its name nor its module: the same lambda written in a notebook or in a script (a
    # different __module__ and __qualname__) is the same model
    _tag(digest, "function")
    if id(fn) in seen:
        return
    seen.add(id(fn))
    fn = getattr(fn, "__func__", fn)
    _code(digest, fn.__code__, depth, seen)
    _feed(digest, fn.__defaults__, depth + 1, seen)
    _feed(digest, fn.__kwdefaults__, depth + 1, seen)
    for cell in fn.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            content = None
        _feed(digest, content, depth + 1, seen)
