"""Helpers shared by the "modern" kernels (cast, quantize, resize, crop, transpose, sigmoid,
top_k, ssd): signature checks, list arguments, and small IR pieces the builder lacks (boolean
and/or, i1 <-> u8 flags, loads at a computed index).

No ProcBlock lives here, so discovery registers nothing from this module.
"""

from __future__ import annotations

from collections.abc import Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels.base import ProcBlockError, TensorSig
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import SSAValue

NUMERIC = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64")
INTEGER_RANGES = {
    "u8": (0, 2**8 - 1), "i8": (-(2**7), 2**7 - 1),
    "u16": (0, 2**16 - 1), "i16": (-(2**15), 2**15 - 1),
    "u32": (0, 2**32 - 1), "i32": (-(2**31), 2**31 - 1),
    "u64": (0, 2**64 - 1), "i64": (-(2**63), 2**63 - 1),
}


def describe(sig: TensorSig) -> str:
    return f"{sig.element}[{', '.join(map(str, sig.shape))}]"


def check_arity(name: str, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
                n_in: int, n_out: int) -> None:
    if len(inputs) != n_in or len(outputs) != n_out:
        raise ProcBlockError(
            f"{name} takes {n_in} input(s) and gives {n_out} output(s), "
            f"not {len(inputs)} and {len(outputs)}"
        )


def check_element(name: str, what: str, sig: TensorSig, allowed: Sequence[str]) -> None:
    if sig.element not in allowed:
        raise ProcBlockError(
            f"{name}'s {what} must be one of {', '.join(allowed)}, not {sig.element}"
        )


def int_list(name: str, text: str) -> list[int]:
    """A list argument written as "0,3,1,2" or "[0, 3, 1, 2]" (Runefile args are scalars)."""
    body = str(text).strip().removeprefix("[").removesuffix("]")
    try:
        return [int(part) for part in body.replace(" ", "").split(",") if part]
    except ValueError:
        raise ProcBlockError(
            f"argument `{name}` must be a comma-separated list of integers, got {text!r}"
        ) from None


def float_list(name: str, text: str) -> list[float]:
    body = str(text).strip().removeprefix("[").removesuffix("]")
    try:
        return [float(part) for part in body.replace(" ", "").split(",") if part]
    except ValueError:
        raise ProcBlockError(
            f"argument `{name}` must be a comma-separated list of numbers, got {text!r}"
        ) from None


def squeezed(shape: Sequence[int]) -> tuple[int, ...]:
    """The shape without its 1s (a [1, N] score vector is 1-D)."""
    return tuple(d for d in shape if d != 1)


def load_at(builder: KernelBuilder, buffer: Buffer, index: Scalar) -> Scalar:
    """buffer[index] for an integer scalar index computed at run time."""
    return builder.load(buffer, builder.to_index(index))


def both(builder: KernelBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    """Logical and of two i1 values."""
    return builder.emit(arith.AndIOp(a, b)).results[0]


def either(builder: KernelBuilder, a: SSAValue, b: SSAValue) -> SSAValue:
    return builder.emit(arith.OrIOp(a, b)).results[0]


def flag(builder: KernelBuilder, condition: SSAValue) -> Scalar:
    """An i1 condition as a u8 0/1 scalar (to carry through loops or store)."""
    return Scalar(builder.emit(arith.ExtUIOp(condition, IntegerType(8))).results[0], "u8")


def truth(builder: KernelBuilder, value: Scalar) -> SSAValue:
    """A 0/1 integer scalar as an i1 condition."""
    return builder.compare("ne", value, builder.constant(0, value.element))
