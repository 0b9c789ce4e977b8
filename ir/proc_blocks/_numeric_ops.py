"""IR helpers the numeric kernels need and KernelBuilder lacks (candidates for the builder).

No ProcBlock lives here: discovery imports this module and finds nothing to register.
"""

from __future__ import annotations

from collections.abc import Callable

from rune.ir.kernel_builder import KernelBuilder, Scalar
from xdsl.dialects import arith
from xdsl.ir import SSAValue


def bool_and(builder: KernelBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    """Both conditions (i1 values, as `compare` returns them)."""
    return builder.emit(arith.AndIOp(a, b)).results[0]


def bool_or(builder: KernelBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    return builder.emit(arith.OrIOp(a, b)).results[0]


def is_nan(builder: KernelBuilder, value: Scalar) -> SSAValue:
    """True for NaN (an unordered self-comparison); only meaningful for floats."""
    return builder.emit(arith.CmpfOp(value.value, value.value, "uno")).results[0]


def when(builder: KernelBuilder, condition: SSAValue, then_fn: Callable[[], None]) -> None:
    """Run then_fn's ops (stores) only if condition holds; an if without results."""
    def then_branch() -> list[Scalar]:
        then_fn()
        return []

    builder.if_else(condition, then_branch, lambda: [])
