"""The flat vector: every free rv's unconstrained values, one contiguous block each.

Blocks follow the topological order of the (rewritten) IR, each raveled in C order
(decision 6). The layout is plain data so that the sampler, the trace and the dashboard
can all slice the same vector the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from exmc.transforms import Transform


@dataclass(frozen=True)
class Block:
    """One free rv's slot in the flat vector."""

    name: str
    shape: tuple[int, ...]
    offset: int
    size: int
    transform: Transform

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
            size = prod(shapes[name])
            blocks.append(Block(name, tuple(shapes[name]), offset, size, transforms[name]))
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
        """One label per flat coordinate, e.g. ``theta[3]``, for messages and tables."""
        out = []
        for b in self.blocks:
            if b.shape == ():
                out.append(b.name)
            else:
                out += [f"{b.name}[{','.join(map(str, i))}]" for i in np.ndindex(*b.shape)]
        return out
