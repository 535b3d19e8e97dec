"""The IR container: an immutable, ordered tuple of nodes with name lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping, Sequence

import numpy as np

from exmc.ir.nodes import RV, Node, Obs, Rewrite, format_value


@dataclass(frozen=True)
class IR:
    """A model as data. Immutable: ``rv``, ``obs`` and ``det`` return a new IR.

    ``rewrites`` lists what rewrite passes changed (empty for a user's IR).
    ``coords``: dimension name -> labels, for the nodes' ``dims`` (``exmc.dims``).
    """

    nodes: tuple[Node, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    coords: Mapping[str, tuple] = field(default_factory=dict)

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
