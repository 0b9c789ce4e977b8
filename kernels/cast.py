"""cast: convert every element to the output's element type, with Rust's `as` semantics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels._modern_ops import (
    INTEGER_RANGES,
    NUMERIC,
    check_arity,
    check_element,
    describe,
)
from rune.kernels.base import ArgValue, ElementwiseProcBlock, ProcBlockError, TensorSig


class Cast(ElementwiseProcBlock):
    name = "cast"
    summary = ("convert elements to the output's type: float->int truncates and saturates "
               "(NaN -> 0), int->int wraps, as Rust's `as` does")
    origin = "new in this compiler (Rust `as` / numpy astype conventions)"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        check_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        check_element(self.name, "input", source, NUMERIC)
        check_element(self.name, "output", result, NUMERIC)
        if source.shape != result.shape:
            raise ProcBlockError(
                f"cast keeps its input's shape, so its output must be "
                f"{result.element}[{', '.join(map(str, source.shape))}], not {describe(result)}"
            )

    def monotone(self, args: Mapping[str, ArgValue], in_element: str, out_element: str) -> bool:
        """Conversions to a float type round monotonically (int -> float, f32 <-> f64); an
        int -> int conversion is monotone when the target holds every source value."""
        if out_element in ("f32", "f64"):
            return True
        if in_element in ("f32", "f64"):
            return False  # NaN -> 0 and saturation: not needed, not claimed
        return _holds(out_element, in_element)

    def apply(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue],
              out_element: str) -> Scalar:
        return builder.convert(value, out_element)


def _holds(target: str, source: str) -> bool:
    """Does integer type `target` hold every value of integer type `source`?"""
    (low, high), (least, most) = INTEGER_RANGES[target], INTEGER_RANGES[source]
    return low <= least and most <= high
