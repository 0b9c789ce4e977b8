"""Walk a loop's range as contiguous blocks side by side (no ProcBlock here).

LLVM does not interleave loops for wasm by itself. Written as `blocks` contiguous blocks, element
i of each in the same iteration, every access stays contiguous, so LLVM vectorises each block:
`blocks` vectors per iteration, independent chains the core overlaps, and the loop overhead
(wasmtime adds an interrupt check per iteration) paid once per iteration. `normalize` walks its
fit this way, `noise_filtering` its energies and log2s.
"""

from __future__ import annotations

from collections.abc import Callable

from rune.ir.kernel_builder import KernelBuilder
from xdsl.ir import SSAValue


def in_blocks(builder: KernelBuilder, count: int, body: Callable[[SSAValue], None],
              blocks: int) -> None:
    """body(i) for every i < count: `blocks` contiguous blocks walked side by side, then the
    few left over."""
    block = count // blocks
    with builder.loop(block) as i:
        for k in range(blocks):
            body(builder.add_index(i, k * block))
    with builder.loop(count, lower=block * blocks) as i:
        body(i)
