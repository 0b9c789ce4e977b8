"""Kernels compiled apart from the pipeline, so that a compiler can cache each one.

A library kernel's code depends only on what it is given: the proc block, its typed arguments,
the element types and shapes of its buffers, and the elementwise steps fused into its loads. When
a `KernelUnits` is active (`runec` makes one; see rune.tools.kernel_cache), lower-pipeline hands
it each such kernel as that description plus a way to build it, and declares the kernel in the
pipeline's module instead of defining it there; the compiler links the units' code in before LLVM
optimises the whole module, so the result is optimised as one module either way. Custom and
test-registered proc blocks (their code is not the library's) stay in the module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from xdsl.dialects import func, memref

#: Builds the kernel under a given symbol: its function and the globals that function uses.
KernelBuild = Callable[[str], tuple[func.FuncOp, list[memref.GlobalOp]]]


class KernelUnits(Protocol):
    def take(self, symbol: str, description: dict, build: KernelBuild) -> None:
        """Compile (or find) the kernel `description` describes, to be linked as `symbol`."""


_ACTIVE: ContextVar[KernelUnits | None] = ContextVar("rune_kernel_units", default=None)


def active() -> KernelUnits | None:
    return _ACTIVE.get()


@contextmanager
def separate_kernels(units: KernelUnits) -> Iterator[None]:
    """Within this block, lower-pipeline gives library kernels to `units`."""
    token = _ACTIVE.set(units)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
