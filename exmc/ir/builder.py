"""Builder: the checks a node can pass on its own, as it is added.

Checks that need the whole model (references, cycles, shapes through references,
det functions) run at compile time in ``exmc.ir.analysis``, so nodes may be added in
any order.
"""

from __future__ import annotations

import numbers
from typing import Callable, Mapping, Sequence

import numpy as np

from exmc import errors as E
from exmc.dims import check_dims, check_coords
from exmc.dist.base import Distribution
from exmc.ir.ir import IR
from exmc.ir.nodes import RV, Det, Obs, ParamValue, frozen_params
from exmc.ir.shapes import check_batches, rv_shape
from exmc.transforms import resolve_transform


class Builder:
    """Function forms of the IR's methods (the seed's pipe style).

    >>> ir = Builder.new_ir()
    >>> ir = Builder.rv(ir, "mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
    """

    @staticmethod
    def new_ir(coords=None) -> IR:
        """An empty model. ``coords``: dimension name -> labels, for the nodes' ``dims=``
        (``exmc.dims``); a dimension without coords is labelled 0..n-1."""
        return IR(coords=check_coords(coords))

    @staticmethod
    def rv(ir: IR, name: str, dist, params: Mapping, *, shape=None, transform=None, noncenter: bool = True,
           dims=None) -> IR:
        return rv(ir, name, dist, params, shape=shape, transform=transform, noncenter=noncenter, dims=dims)

    @staticmethod
    def obs(ir: IR, name: str, rv_name: str, data) -> IR:
        return obs(ir, name, rv_name, data)

    @staticmethod
    def det(ir: IR, name: str, fn: Callable, deps: Sequence[str] | str, *, dims=None) -> IR:
        return det(ir, name, fn, deps, dims=dims)

    @staticmethod
    def data(ir: IR, name: str, value, dims=None) -> IR:
        """A named data node, referenced by name in params and det deps; ``IR.set_data``
        replaces its value. Integer data stay integer (int64). ``dims``: names of its axes."""
        from exmc.ir.data import data

        return data(ir, name, value, dims)

    @staticmethod
    def potential(ir: IR, name: str, fn: Callable, deps: Sequence[str] | str) -> IR:
        """``sum(fn(*deps))`` joins the log-density (PyMC's Potential); not a likelihood."""
        from exmc.ir.potential import potential

        return potential(ir, name, fn, deps)


def _check_name(ir: IR, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise E.ExmcError(None, f"a node name must be a non-empty string, got {name!r}")
    if name in ir:
        raise E.DuplicateNameError(name, f"the name '{name}' is already taken by another node")
    return name


def _as_float_array(value, node: str, what: str, error: type[E.ExmcError]) -> np.ndarray:
    if value is None:
        raise error(node, f"{what} must be numeric, got None")
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, np.ndarray) and value.dtype == np.bool_
    ):
        value = np.asarray(value, dtype=np.float64)
    if np.iscomplexobj(value):  # float64(1+2j) would silently drop the imaginary part
        raise error(node, f"{what} must be real numbers, got complex values")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise error(node, f"{what} must be numeric, got {type(value).__name__} {value!r:.60}") from None
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))
        where = f" at index {tuple(int(i) for i in bad[0])}" if array.ndim else ""
        raise error(node, f"{what} must be finite, got {array[tuple(bad[0])] if array.ndim else array}{where}")
    array.setflags(write=False)
    return array


def _first_outside(ok: np.ndarray, values: np.ndarray) -> str:
    if values.ndim == 0:
        return f"{float(values):g}"
    index = tuple(int(i) for i in np.argwhere(~np.broadcast_to(ok, values.shape))[0])
    return f"{float(values[index]):g} at index {index}"


def _check_shape(shape, node: str) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise E.ShapeError(node, f"shape must be an int or a tuple of ints, got {shape!r}") from None
    if not all(isinstance(n, numbers.Integral) and n >= 0 for n in shape):
        raise E.ShapeError(node, f"shape must hold non-negative ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def rv(ir: IR, name: str, dist, params: Mapping, *, shape=None, transform=None, noncenter: bool = True,
       dims=None) -> IR:
    """Add a random variable ``name ~ dist(**params)``.

    Parameters
    ----------
    dist : an Exmc distribution class, e.g. ``exmc.Normal``.
    params : dict of parameter name -> number, array, or the name of an rv or det node
        (resolved to that node's constrained value).
    shape : the variable's shape; params broadcast to it. None: from observed data or params.
    transform : None (the support's default), a name ("identity", "log", "logit", "interval",
        "simplex", "ordered", "corr_cholesky", "zero_sum") or an ``exmc.transforms.Transform``.
    noncenter : False exempts this node from the automatic non-centering rewrite.
    dims : a dimension name or a tuple of names, one per axis (``exmc.dims``).
    """
    name = _check_name(ir, name)
    dims = check_dims(name, dims)
    if not (isinstance(dist, type) and issubclass(dist, Distribution) and dist is not Distribution):
        raise E.DistributionError(name, f"expected an Exmc distribution such as exmc.Normal, got {dist!r}")
    if not isinstance(params, Mapping):
        raise E.ParameterError(name, f"params must be a dict of parameter name -> value, got {type(params).__name__}")
    if hasattr(dist, "expand"):  # a family built from others (Mixture): one flat set of params
        try:
            dist, params = dist.expand(params)
        except ValueError as err:
            raise E.ParameterError(name, f"{dist.__name__}: {err}") from None
    if dist.bound_params:  # a Censored / Truncated family's bounds join its parameters
        given = sorted(set(params) & set(dist.bound_params))
        if given:
            raise E.ParameterError(name, f"{dist.__name__} already has its bound '{given[0]}'; pass it to the wrapper only")
        params = {**params, **dist.bound_params}
    try:
        domains = dist.match(set(params))
    except ValueError as err:
        raise E.ParameterError(name, str(err)) from None

    resolved: dict[str, ParamValue] = {}
    for pname, value in params.items():
        what = f"parameter '{pname}' of {dist.__name__}"
        if isinstance(value, str):
            if not value:
                raise E.UnknownReferenceError(name, f"{what} is an empty reference")
            if pname in getattr(dist, "constant_params", ()):
                raise E.ParameterError(name, f"{what} must be a number of the model (it fixes the shape), not a reference to '{value}'")
            resolved[pname] = value
            continue
        array = _as_float_array(value, name, what, E.ParameterDomainError)
        ok = domains[pname].contains(array)
        if not np.all(ok):
            raise E.ParameterDomainError(
                name, f"{what} must lie in {domains[pname].describe()}, got {_first_outside(ok, array)}"
            )
        resolved[pname] = array
    constants = {k: v for k, v in resolved.items() if not isinstance(v, str)}
    problem = dist.check_params(constants)
    if problem:
        raise E.ParameterDomainError(name, f"{dist.__name__} {problem}")

    if shape is not None:
        shape = _check_shape(shape, name)
        constant_shapes = {k: v.shape for k, v in constants.items()}
        if len(constants) == len(resolved):  # every parameter known: events compared too
            rv_shape(name, dist, constant_shapes, shape, "the shape", constants)
        else:
            check_batches(name, dist, constant_shapes, shape, "the shape")

    if dist.discrete:
        if transform is not None:
            raise E.TransformError(name, f"{dist.__name__} is discrete and takes no transform")
        resolved_transform = None
    else:
        try:
            resolved_transform = resolve_transform(transform, dist.support)
        except ValueError as err:
            raise E.TransformError(name, str(err)) from None

    if shape is not None and dims is not None and len(dims) != len(shape):
        raise E.DimsError(name, f"dims {dims} name {len(dims)} axes, but the shape {shape} has {len(shape)}")
    node = RV(name, dist, frozen_params(resolved), shape, resolved_transform, bool(noncenter), dims=dims)
    return ir.replace(ir.nodes + (node,))


def obs(ir: IR, name: str, rv_name: str, data) -> IR:
    """Observe the rv ``rv_name`` with ``data``: its log-density at ``data`` enters the joint.

    Without an explicit shape the rv takes the data's shape.
    """
    name = _check_name(ir, name)
    if not isinstance(rv_name, str) or rv_name not in ir:
        raise E.UnknownReferenceError(name, f"observes '{rv_name}', which is not a node of the model (add the rv first)")
    target = ir[rv_name]
    if not isinstance(target, RV):
        kind = {Det: "a deterministic node", Obs: "an observation"}.get(type(target), f"a {type(target).__name__.lower()} node")
        raise E.ObservationError(name, f"observes '{rv_name}', which is {kind}; only rv nodes can be observed")
    if rv_name in ir.observations:
        raise E.ObservationError(
            name, f"observes '{rv_name}', already observed by '{ir.observations[rv_name].name}'"
        )
    array = _as_float_array(data, name, f"observed data for '{rv_name}'", E.DataError)
    try:
        ok = target.dist.support.contains(array, target.params)
    except ValueError:  # a bound of the support (Binomial's n) that does not broadcast to the data
        shapes = ", ".join(f"'{k}' {np.shape(v)}" for k, v in target.params.items() if not isinstance(v, str))
        raise E.ShapeError(
            name, f"data of shape {array.shape} for '{rv_name}' does not broadcast with the parameters of "
            f"{target.dist.__name__} ({shapes})"
        ) from None
    if not np.all(ok):
        raise E.DataError(
            name,
            f"observed data for '{rv_name}' must lie in the support of {target.dist.__name__}, "
            f"{target.dist.support.describe()}; got {_first_outside(ok, array)}",
        )
    if target.shape is not None and array.shape != target.shape:
        raise E.ShapeError(name, f"data of shape {array.shape} observes '{rv_name}' of shape {target.shape}")
    return ir.replace(ir.nodes + (Obs(name, rv_name, array),))


def det(ir: IR, name: str, fn: Callable, deps: Sequence[str] | str, *, dims=None) -> IR:
    """Add a deterministic node ``name = fn(*deps)``, ``fn`` written with ``jax.numpy``.

    Its value is recorded in the trace and it can be referenced as a parameter. ``dims``:
    a dimension name or a tuple of names, one per axis (``exmc.dims``).
    """
    name = _check_name(ir, name)
    dims = check_dims(name, dims)
    deps = fn_and_deps(name, fn, deps, E.DeterministicError)
    return ir.replace(ir.nodes + (Det(name, fn, deps, dims=dims),))


def fn_and_deps(name: str, fn, deps, error) -> tuple[str, ...]:
    """Check a det node's or a potential's ``fn`` (callable) and ``deps`` (a name or names);
    the deps as a tuple. ``error``: the ExmcError class that names the node."""
    if not callable(fn):
        raise error(name, f"fn must be callable, got {fn!r}")
    if isinstance(deps, str):
        deps = (deps,)
    try:
        deps = tuple(deps)
    except TypeError:
        raise error(name, f"deps must be a list of node names, got {deps!r}") from None
    for dep in deps:
        if not isinstance(dep, str) or not dep:
            raise E.UnknownReferenceError(name, f"deps must be node names, got {dep!r}")
    return deps
