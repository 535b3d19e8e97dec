"""The flat vector: every free rv's unconstrained values, one contiguous block each.

Blocks follow the topological order of the (rewritten) IR, each raveled in C order
(decision 6). A block holds the *unconstrained* value, whose shape the transform decides
(``Transform.unconstrained_shape``): a simplex of K entries takes K-1 coordinates, a 3 x 3
correlation Cholesky factor 3 (decision 40). The layout is plain data so that the sampler, the trace and the dashboard
can all slice the same vector the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from exmc.transforms import Transform


@dataclass(frozen=True)
class Block:
    """One free rv's slot in the flat vector: ``shape`` is the unconstrained block's, the
    one ``unflatten`` gives; ``value_shape`` the constrained value's (the variable's)."""

    name: str
    shape: tuple[int, ...]
    offset: int
    size: int
    transform: Transform
    value_shape: tuple[int, ...] | None = None

    @property
    def changes_dimension(self) -> bool:
        return self.value_shape is not None and self.value_shape != self.shape

    @property
    def slice(self) -> slice:
        return slice(self.offset, self.offset + self.size)


@dataclass(frozen=True)
class Layout:
    blocks: tuple[Block, ...]

    @classmethod
    def build(cls, names, shapes, transforms) -> Layout:
        blocks, offset = [], 0
        for name in names:
            value_shape = tuple(shapes[name])
            shape = tuple(transforms[name].unconstrained_shape(value_shape))
            size = prod(shape)
            blocks.append(Block(name, shape, offset, size, transforms[name], value_shape))
            offset += size
        return cls(tuple(blocks))

    @property
    def dim(self) -> int:
        return sum(b.size for b in self.blocks)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.blocks)

    def __getitem__(self, name: str) -> Block:
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(name)

    def unflatten(self, flat):
        """name -> block of ``flat`` reshaped; works on numpy and traced JAX arrays."""
        return {b.name: flat[b.offset:b.offset + b.size].reshape(b.shape) for b in self.blocks}

    def labels(self) -> list[str]:
        """One label per flat coordinate, e.g. ``theta[3]``, for messages and tables. A
        coordinate of a transform that changes dimension is not an element of the variable,
        so it is named after the transform: ``L:corr_cholesky[0]``, ``w:simplex[1]``."""
        out = []
        for b in self.blocks:
            name = f"{b.name}:{b.transform.name}" if b.changes_dimension else b.name
            if b.shape == ():
                out.append(name)
            else:
                out += [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*b.shape)]
        return out
