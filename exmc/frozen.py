"""A read-only mapping that pickles and copies.

The IR's nodes and coords are immutable, and their mappings were ``MappingProxyType``s,
which ``pickle`` and ``copy.deepcopy`` refuse: a model could not be sent to another process
or copied. ``FrozenMap`` reads like a dict and cannot be changed in place.
"""

from __future__ import annotations

from typing import Iterator, Mapping


class FrozenMap(Mapping):
    """A read-only dict: equal to any mapping with the same items; pickles as its items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping | None = None):
        object.__setattr__(self, "_items", dict(items or {}))

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, name, value):
        raise AttributeError("FrozenMap is read-only")

    def __repr__(self) -> str:
        return repr(self._items)

    def __reduce__(self):
        return (FrozenMap, (self._items,))
