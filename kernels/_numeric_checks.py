"""Signature checks shared by the numeric kernels, so their error messages read alike.

No ProcBlock lives here: discovery imports this module and finds nothing to register.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from rune.kernels.base import ProcBlockError, TensorSig

NUMERIC_TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64")
INTEGER_TYPES = NUMERIC_TYPES[:8]


def describe(sig: TensorSig) -> str:
    return f"{sig.element}[{', '.join(map(str, sig.shape))}]"


def expect_arity(name: str, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
                 n_in: int, n_out: int) -> None:
    if len(inputs) != n_in or len(outputs) != n_out:
        raise ProcBlockError(
            f"{name} takes {n_in} input(s) and gives {n_out} output(s), "
            f"not {len(inputs)} and {len(outputs)}"
        )


def expect_element(name: str, what: str, sig: TensorSig, allowed: Sequence[str]) -> None:
    if sig.element not in allowed:
        raise ProcBlockError(
            f"{name}'s {what} must be {' or '.join(allowed)}, not {sig.element}"
        )


def expect_count(name: str, what: str, sig: TensorSig, count: int, example: str) -> None:
    """The output's element count is fixed by the kernel; any shape holding it is accepted."""
    if prod(sig.shape) != count:
        raise ProcBlockError(
            f"{name}'s {what} holds {count} element(s) (e.g. {example}), "
            f"not {describe(sig)}"
        )


def expect_same(name: str, source: TensorSig, result: TensorSig) -> None:
    if source != result:
        raise ProcBlockError(
            f"{name} keeps its input's type, so its output must be {describe(source)}, "
            f"not {describe(result)}"
        )
