"""The IR container: an immutable, ordered tuple of nodes with name lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping, Sequence

import numpy as np

from exmc.ir.nodes import RV, Data, Node, Obs, Potential, Rewrite, format_value


class Structure:
    """The token of an IR's structure (see ``IR.structure``): compared by identity. ``caches``
    holds what is compiled for this structure whatever its data (decision 57), so it goes
    when the last IR holding the token does."""

    __slots__ = ("__weakref__", "caches")

    def __init__(self):
        self.caches: dict = {}

    def __reduce__(self):
        # a pickled or copied IR gets a fresh token: compiled functions do not travel
        return (Structure, ())


class Compiled:
    """What ``exmc.sample`` compiled from this very IR (noncenter setting -> CompiledModel),
    so that sampling it again reuses the compilation. Held by the IR, so it goes when the
    IR does (a table outside the IR kept every model ever sampled alive, decision 74). Never
    compared or fingerprinted; a pickled or deep-copied IR starts with none."""

    __slots__ = ("models",)

    def __init__(self):
        self.models: dict = {}

    def __reduce__(self):
        return (Compiled, ())


@dataclass(frozen=True)
class IR:
    """A model as data. Immutable: ``rv``, ``obs`` and ``det`` return a new IR.

    ``rewrites`` lists what rewrite passes changed (empty for a user's IR).
    ``structure``: a token that every builder method makes anew and ``set_data`` keeps, so
    that IRs differing only in their data share one compiled sampler (decision 57).
    ``coords``: dimension name -> labels, for the nodes' ``dims`` (``exmc.dims``).
    """

    nodes: tuple[Node, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    structure: Structure = field(default_factory=Structure, compare=False, repr=False)
    coords: Mapping[str, tuple] = field(default_factory=dict)
    compiled: Compiled = field(default_factory=Compiled, init=False, compare=False, repr=False,
                               metadata={"fingerprint": False})

    # The builder methods (function forms in exmc.ir.builder).
    def rv(self, name: str, dist, params: Mapping, *, shape=None, transform=None, noncenter: bool = True,
           dims=None) -> IR:
        """Add ``name ~ dist(**params)``; see ``exmc.Builder.rv``."""
        from exmc.ir import builder

        return builder.rv(self, name, dist, params, shape=shape, transform=transform, noncenter=noncenter, dims=dims)

    def obs(self, name: str, rv_name: str, data) -> IR:
        """Observe ``rv_name`` with ``data``; see ``exmc.Builder.obs``."""
        from exmc.ir import builder

        return builder.obs(self, name, rv_name, data)

    def det(self, name: str, fn: Callable, deps: Sequence[str] | str, *, dims=None) -> IR:
        """Add ``name = fn(*deps)``; see ``exmc.Builder.det``."""
        from exmc.ir import builder

        return builder.det(self, name, fn, deps, dims=dims)

    def data(self, name: str, value, dims=None) -> IR:
        """Add the data node ``name``; see ``exmc.Builder.data``."""
        from exmc.ir.data import data

        return data(self, name, value, dims)

    def set_data(self, **values) -> IR:
        """A new IR with new values for data nodes and observations, by name; see
        ``exmc.ir.data.set_data``. This IR is unchanged."""
        from exmc.ir.data import set_data

        return set_data(self, values)

    def potential(self, name: str, fn: Callable, deps: Sequence[str] | str) -> IR:
        """Add ``sum(fn(*deps))`` to the log-density; see ``exmc.Builder.potential``."""
        from exmc.ir.potential import potential

        return potential(self, name, fn, deps)

    # Lookup.
    @cached_property
    def by_name(self) -> Mapping[str, Node]:
        return {node.name: node for node in self.nodes}

    @cached_property
    def observations(self) -> Mapping[str, Obs]:
        """rv name -> the Obs node observing it."""
        return {node.rv: node for node in self.nodes if isinstance(node, Obs)}

    def __getitem__(self, name: str) -> Node:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.nodes)

    def free_rvs(self) -> tuple[str, ...]:
        """Names of the rv nodes that are not observed, in insertion order."""
        return tuple(n.name for n in self.nodes if isinstance(n, RV) and n.name not in self.observations)

    def replace(self, nodes: tuple[Node, ...], rewrites: tuple[Rewrite, ...] = ()) -> IR:
        return IR(nodes=nodes, rewrites=self.rewrites + rewrites, coords=self.coords)

    def describe(self) -> str:
        """One line a node, in tilde notation."""
        lines = []
        for node in self.nodes:
            if isinstance(node, RV):
                args = ", ".join(f"{k}={format_value(v)}" for k, v in node.params.items())
                line = f"{node.name} ~ {node.dist.__name__}({args})"
                if node.shape is not None:
                    line += f"  shape={node.shape}"
                if node.dims is not None:
                    line += f"  dims={node.dims}"
                if node.aux_for is not None:
                    line += f"  [auxiliary for {node.aux_for}]"
            elif isinstance(node, Obs):
                line = f"{node.name}: observe {node.rv} = {format_value(np.asarray(node.data))}"
            elif isinstance(node, Data):
                value = node.value if node.value.dtype == np.float64 else node.value.astype(np.float64)
                line = f"{node.name}: data = {format_value(value)}"
            elif isinstance(node, Potential):
                fn = getattr(node.fn, "__name__", "fn")
                line = f"{node.name}: potential += sum({fn}({', '.join(node.deps)}))"
            else:
                fn = getattr(node.fn, "__name__", "fn")
                line = f"{node.name} = {fn}({', '.join(node.deps)})"
                if node.dims is not None:
                    line += f"  dims={node.dims}"
                if node.origin is not None:
                    line += f"  [{node.origin}]"
            lines.append(line)
        return "\n".join(lines)

    def __repr__(self) -> str:
        body = self.describe()
        return "IR(\n  " + body.replace("\n", "\n  ") + "\n)" if body else "IR()"
