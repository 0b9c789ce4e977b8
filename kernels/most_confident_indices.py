"""most_confident_indices: the indices of the `count` largest values, largest first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._numeric_checks import (
    NUMERIC_TYPES,
    describe,
    expect_arity,
    expect_count,
    expect_element,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue


def simplify_dimensions(shape: Sequence[int]) -> tuple[int, ...]:
    """The original's view of a shape: leading and trailing 1s dropped, all-1s meaning [1]."""
    dims = list(shape)
    while dims and dims[0] == 1:
        dims.pop(0)
    while dims and dims[-1] == 1:
        dims.pop()
    return tuple(dims) or (1,)


class MostConfidentIndices(ProcBlock):
    name = "most_confident_indices"
    summary = "u32 indices of the `count` largest elements, in descending order, ties by index"
    arg_specs = (ArgSpec("count", int, default=1, minimum=1,
                         doc="how many indices to return; at most the input's length"),)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        expect_element(self.name, "input", source, NUMERIC_TYPES)
        dims = simplify_dimensions(source.shape)
        if len(dims) != 1:
            raise ProcBlockError(
                f"{self.name} works on 1-D inputs (1s around the axis are fine), "
                f"not {describe(source)}"
            )
        count = int(args["count"])  # type: ignore[arg-type]
        if count > dims[0]:
            raise ProcBlockError(
                f"{self.name} cannot take the top {count} values of a {dims[0]}-item input"
            )
        expect_element(self.name, "output", result, ("u32",))
        expect_count(self.name, "output", result, count, f"u32[{count}]")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        count = int(args["count"])  # type: ignore[arg-type]
        select_top(builder, source, result, count)


def select_top(builder: KernelBuilder, source: Buffer, result: Buffer, count: int) -> None:
    """Selection in O(n * count) with no scratch memory.

    Elements are ranked by (value descending, index ascending), NaN below every number: a
    strict total order, the one a stable descending sort gives. Pick k is the best element
    ranked after pick k-1, so nothing needs marking as taken. Index n stands for "no pick yet".
    """
    n = source.count
    none = builder.constant(n, "u32")

    def pick(k: SSAValue, previous: list[Scalar]) -> list[Scalar]:
        prev_index, prev_value = previous
        first_pick = builder.compare("eq", prev_index, none)

        def scan(i: SSAValue, best: list[Scalar]) -> list[Scalar]:
            best_index, best_value = best
            index = builder.from_index(i, "u32")
            value = builder.load(source, i)
            eligible = builder.bool_or(first_pick,
                               _ranked_after(builder, value, index, prev_value, prev_index))
            # Scanning upwards, an equal value never displaces the earlier index.
            better = builder.bool_or(builder.compare("eq", best_index, none),
                             _beats(builder, value, best_value))
            take = builder.bool_and(eligible, better)
            return [builder.select(take, index, best_index),
                    builder.select(take, value, best_value)]

        chosen = builder.fold(n, [none, prev_value], scan)
        builder.store(chosen[0], result, k)
        return chosen

    builder.fold(count, [none, builder.load(source, builder.index(0))], pick)


def _beats(builder: KernelBuilder, a: Scalar, b: Scalar) -> SSAValue:
    """a ranks strictly above b by value: greater, or a number against NaN."""
    greater = builder.compare("gt", a, b)
    if not a.is_float:
        return greater
    number_over_nan = builder.bool_and(builder.is_nan(b),
                               builder.negate_bool(builder.is_nan(a)))
    return builder.bool_or(greater, number_over_nan)


def _ranked_after(builder: KernelBuilder, value: Scalar, index: Scalar, prev_value: Scalar,
                  prev_index: Scalar) -> SSAValue:
    """(value, index) comes after (prev_value, prev_index): lower value, or tied and later."""
    lower = _beats(builder, prev_value, value)
    tied = builder.negate_bool(builder.bool_or(lower, _beats(builder, value, prev_value)))
    later = builder.compare("gt", index, prev_index)
    return builder.bool_or(lower, builder.bool_and(tied, later))
