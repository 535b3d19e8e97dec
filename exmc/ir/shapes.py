"""The shape rule of a random variable (decision 40): value shape = batch + event.

A distribution says how many trailing axes of its value form one event (``event_dims``)
and, per parameter, how many trailing axes are that parameter's event
(``param_event_dims``). A parameter's leading axes (its batch) broadcast to the value's
batch; the distribution's ``event_shape`` relates the parameters' event shapes to the
value's. A parameter with fewer axes than its event is read with leading ones (a scalar
``sigma`` for every component of a mixture).

Both the builder (constants, with ``shape=``) and the whole-model analysis (references
resolved) call ``rv_shape``; errors name the node, the parameter and both shapes.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from exmc import errors as E


def split(dist, param: str, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(batch, event) of parameter ``param`` of ``dist`` given with ``shape``."""
    k = dist.param_event_dims.get(param, 0)
    shape = (1,) * (k - len(shape)) + tuple(shape)
    return shape[: len(shape) - k], shape[len(shape) - k:]


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _describe(dist, param: str, shape: tuple[int, ...]) -> str:
    if not dist.param_event_dims.get(param, 0):
        return f"parameter '{param}' of shape {shape}"
    batch, event = split(dist, param, shape)
    return f"parameter '{param}' of shape {shape} (batch {batch}, event {event})"


def rv_shape(
    name: str,
    dist,
    param_shapes: Mapping[str, tuple[int, ...]],
    shape: tuple[int, ...] | None,
    source: str,
    constants: Mapping[str, np.ndarray],
) -> tuple[int, ...]:
    """The value's shape: ``shape`` checked (from ``shape=`` or the data; ``source`` says
    which) or, when None, inferred from the parameters. Raises ``ShapeError`` naming ``name``."""
    batches, events = {}, {}
    for p, s in param_shapes.items():
        k_p = dist.param_event_dims.get(p, 0)
        if k_p >= 2 and len(s) < k_p:  # a vector read as a matrix would only confuse
            raise E.ShapeError(name, f"{dist.__name__}: parameter '{p}' of shape {tuple(s)} has fewer axes than its {k_p}-axis event")
        batches[p], events[p] = split(dist, p, tuple(s))
    k = dist.event_dims
    if shape is None:
        try:
            batch = np.broadcast_shapes(*batches.values()) if batches else ()
        except ValueError:
            detail = ", ".join(f"{p} {s}" for p, s in param_shapes.items())
            what = "parameter batch shapes" if any(dist.param_event_dims.values()) else "parameter shapes"
            raise E.ShapeError(name, f"{what} do not broadcast: {detail}") from None
        event = _event(name, dist, events, None, constants)
        return tuple(batch) + tuple(event)
    shape = tuple(shape)
    if len(shape) < k:
        raise E.ShapeError(
            name, f"{dist.__name__} has {k}-axis events, {source} {shape} has {len(shape)} axes"
        )
    batch, value_event = shape[: len(shape) - k], shape[len(shape) - k:]
    _event(name, dist, events, value_event if k else None, constants)
    check_batches(name, dist, param_shapes, shape, source)
    return shape


def check_batches(name: str, dist, param_shapes: Mapping[str, tuple[int, ...]], shape: tuple[int, ...], source: str) -> None:
    """Each parameter's batch broadcasts to the batch of ``shape`` (events not compared)."""
    k = dist.event_dims
    batch = tuple(shape[: max(len(shape) - k, 0)])
    for p, s in param_shapes.items():
        if not _broadcasts_to(split(dist, p, tuple(s))[0], batch):
            tail = f" (batch {batch})" if k or dist.param_event_dims.get(p, 0) else ""
            raise E.ShapeError(name, f"{_describe(dist, p, tuple(s))} does not broadcast to {source} {shape}{tail}")


def _event(name, dist, events, value_event, constants):
    try:
        return tuple(dist.event_shape(events, value_event, constants))
    except ValueError as err:
        raise E.ShapeError(name, f"{dist.__name__}: {err}") from None
