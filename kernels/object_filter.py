"""object_filter: keep confident detections and drop duplicates of the same object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._numeric_checks import describe, expect_arity, expect_element
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

DUPLICATE_DISTANCE = 0.01  # the original's fixed bound on |dx| and |dy| for one object
EMPTY_ROW = (0.0, 0.0, 0.0, 0.0, 0.0, -1.0)  # fills the output past the objects kept


class ObjectFilter(ProcBlock):
    name = "object_filter"
    summary = ("detections f32[1, n, 5 + classes] with score > `threshold`, de-duplicated, "
               "as rows [x, y, h, w, confidence, label]")
    arg_specs = (ArgSpec("threshold", float, default=0.7,
                         doc="f32 bound a detection's score (element 4) must exceed"),)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        expect_element(self.name, "input", source, ("f32",))
        if len(source.shape) != 3 or source.shape[0] != 1 or source.shape[2] < 6:
            raise ProcBlockError(
                f"{self.name} takes detections as f32[1, count, 5 + classes] with at least one "
                f"class (rows of x, y, h, w, score, class scores...), not {describe(source)}"
            )
        expect_element(self.name, "output", result, ("f32",))
        if len(result.shape) != 2 or result.shape[1] != 6 or result.shape[0] < 1:
            raise ProcBlockError(
                f"{self.name}'s output is f32[rows, 6] (rows of x, y, h, w, confidence, label; "
                f"e.g. f32[{source.shape[1]}, 6]), not {describe(result)}"
            )

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        threshold = float(args["threshold"])  # type: ignore[arg-type]
        n = source.shape[1]
        scratch = _Candidates(
            row=builder.state("row", n, "u32"), confidence=builder.state("confidence", n, "f32"),
            label=builder.state("label", n, "u32"), alive=builder.state("alive", n, "u8"),
        )
        count = _gather(builder, source, scratch, threshold)
        _remove_duplicates(builder, source, scratch, count)
        _write_rows(builder, source, scratch, count, result)


@dataclass(frozen=True)
class _Candidates:
    """Scratch lists, one slot per detection above the threshold (in input order). Only the
    first `count` slots are read, and the gather writes each of them, so nothing needs
    clearing between runs."""

    row: Buffer
    confidence: Buffer
    label: Buffer
    alive: Buffer  # u8: 0 once dropped as a duplicate


def _element(builder: KernelBuilder, source: Buffer, row: Scalar,
             column: int | SSAValue) -> Scalar:
    """Element `column` of detection `row` (a u32)."""
    start = builder.mul_index(builder.to_index(row), source.shape[2])
    return builder.load(source, builder.add_index(start, column))


def _best_class(builder: KernelBuilder, source: Buffer, row: Scalar) -> list[Scalar]:
    """(label, confidence) as Rust's `max_by(partial_cmp.unwrap_or(Equal))` picks them: a later
    score replaces the best unless the best is strictly greater, so the last maximum wins and
    a NaN (compared as Equal) replaces whatever came before it."""
    classes = source.shape[2] - 5

    def step(j: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        label, best = carried
        score = _element(builder, source, row, builder.add_index(j, 5))
        keep = builder.compare("gt", best, score)
        return [builder.select(keep, label, builder.from_index(j, "u32")),
                builder.select(keep, best, score)]

    init = [builder.constant(0, "u32"), _element(builder, source, row, 5)]
    return builder.fold(classes, init, step, lower=1)


def _gather(builder: KernelBuilder, source: Buffer, scratch: _Candidates,
            threshold: float) -> Scalar:
    """Detections whose score is above the threshold, compacted without branches: every row
    is written at slot `count`, which only advances past the rows that pass."""
    bound = builder.constant(threshold, "f32")

    def step(r: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        (count,) = carried
        row = builder.from_index(r, "u32")
        passes = builder.compare("gt", _element(builder, source, row, 4), bound)
        label, confidence = _best_class(builder, source, row)
        slot = builder.to_index(count)
        builder.store(row, scratch.row, slot)
        builder.store(confidence, scratch.confidence, slot)
        builder.store(label, scratch.label, slot)
        builder.store(builder.constant(1, "u8"), scratch.alive, slot)
        one, zero = builder.constant(1, "u32"), builder.constant(0, "u32")
        return [builder.add(count, builder.select(passes, one, zero))]

    (count,) = builder.fold(source.shape[1], [builder.constant(0, "u32")], step)
    return count


def _remove_duplicates(builder: KernelBuilder, source: Buffer, scratch: _Candidates,
                       count: Scalar) -> None:
    """The original repeatedly finds the first duplicate pair (i, j), i < j, and drops the
    less confident one (i on a tie). Removing never creates a new pair and the list keeps its
    order, so one pass over the pairs in that same order, skipping dropped ones, removes the
    same objects: O(count^2) instead of a rescan after every removal."""
    distance = builder.constant(DUPLICATE_DISTANCE, "f32")
    upper = builder.to_index(count)

    def close(a: Scalar, b: Scalar) -> SSAValue:
        return builder.compare("le", builder.abs(builder.sub(a, b)), distance)

    with builder.loop(upper) as i:
        row_i = builder.load(scratch.row, i)
        x_i, y_i = _element(builder, source, row_i, 0), _element(builder, source, row_i, 1)
        confidence_i = builder.load(scratch.confidence, i)

        def pair(j: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            (alive_i,) = carried
            row_j = builder.load(scratch.row, j)
            alive_j = builder.load(scratch.alive, j)
            both = builder.bool_and(_flag(builder, alive_i), _flag(builder, alive_j))
            duplicate = builder.bool_and(both, builder.bool_and(
                close(x_i, _element(builder, source, row_j, 0)),
                close(y_i, _element(builder, source, row_j, 1))))
            i_wins = builder.compare("gt", confidence_i, builder.load(scratch.confidence, j))
            zero = builder.constant(0, "u8")
            drop_j = builder.bool_and(duplicate, i_wins)
            drop_i = builder.bool_and(duplicate, builder.negate_bool(i_wins))
            builder.store(builder.select(drop_j, zero, alive_j), scratch.alive, j)
            return [builder.select(drop_i, zero, alive_i)]

        (alive_i,) = builder.fold(upper, [builder.load(scratch.alive, i)], pair,
                                  lower=builder.add_index(i, 1))
        builder.store(alive_i, scratch.alive, i)


def _flag(builder: KernelBuilder, value: Scalar) -> SSAValue:
    return builder.compare("ne", value, builder.constant(0, "u8"))


def _write_rows(builder: KernelBuilder, source: Buffer, scratch: _Candidates, count: Scalar,
                result: Buffer) -> None:
    """Surviving objects in input order as [x, y, h, w, confidence, label], then EMPTY_ROW
    rows up to the output's length; objects beyond that length are left out."""
    room = builder.constant(result.shape[0], "u32")

    def write(base: SSAValue, values: Sequence[Scalar]) -> None:
        for column, value in enumerate(values):
            builder.store(value, result, builder.add_index(base, column))

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        (written,) = carried
        keep = builder.bool_and(_flag(builder, builder.load(scratch.alive, i)),
                        builder.compare("lt", written, room))

        def emit_row() -> None:
            row = builder.load(scratch.row, i)
            label = builder.convert(builder.load(scratch.label, i), "f32")
            values = [_element(builder, source, row, c) for c in range(4)]
            write(builder.mul_index(builder.to_index(written), 6),
                  [*values, builder.load(scratch.confidence, i), label])

        builder.when(keep, emit_row)
        one, zero = builder.constant(1, "u32"), builder.constant(0, "u32")
        return [builder.add(written, builder.select(keep, one, zero))]

    (written,) = builder.fold(builder.to_index(count), [builder.constant(0, "u32")], step)
    with builder.loop(result.shape[0], lower=builder.to_index(written)) as slot:
        write(builder.mul_index(slot, 6), [builder.constant(v, "f32") for v in EMPTY_ROW])
