"""normalize: (x - min) / (max - min) with one min and max over the whole tensor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._blocks import in_blocks
from rune.kernels._numeric_checks import (
    NUMERIC_TYPES,
    expect_arity,
    expect_element,
    expect_same,
)
from rune.kernels.base import ArgValue, ProcBlock, TensorSig
from xdsl.dialects import arith
from xdsl.ir import SSAValue

UNSIGNED_OF = {"i8": "u8", "i16": "u16", "i32": "u32", "i64": "u64"}


class Normalize(ProcBlock):
    name = "normalize"
    accepts_fused_inputs = True  # reads its input only through builder.load
    summary = "fit the tensor to [0, 1] with its global min and max; unchanged when they are equal"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        expect_arity(self.name, inputs, outputs, 1, 1)
        expect_element(self.name, "input", inputs[0], NUMERIC_TYPES)
        expect_same(self.name, inputs[0], outputs[0])

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        if source.count == 0:
            return
        low, high = _min_max(builder, source)
        # Rust's `min != max` is true for NaN bounds (only a NaN first element makes them NaN).
        differ = builder.negate_bool(builder.compare("eq", low, high))
        # Two loops, the test outside them: no per-element compare and select.
        builder.if_else(differ, lambda: _fit_all(builder, source, result, low, high) or [],
                        lambda: _copy_all(builder, source, result) or [])


def _fit_all(builder: KernelBuilder, source: Buffer, result: Buffer, low: Scalar,
             high: Scalar) -> None:
    _in_blocks(builder, source.count, lambda i: builder.store(
        _fit(builder, builder.load(source, i), low, high), result, i))


def _copy_all(builder: KernelBuilder, source: Buffer, result: Buffer) -> None:
    _in_blocks(builder, source.count,
               lambda i: builder.store(builder.load(source, i), result, i))


BLOCKS = 4  # contiguous streams one loop walks in step


def _in_blocks(builder: KernelBuilder, count: int, body: Callable[[SSAValue], None]) -> None:
    """body(i) for every i < count, as BLOCKS contiguous blocks walked side by side
    (kernels/_blocks.py): LLVM vectorises the fit with BLOCKS vectors per iteration, the loop
    overhead is paid a quarter as often and the four divisions overlap."""
    in_blocks(builder, count, body, BLOCKS)


def _min_max(builder: KernelBuilder, source: Buffer) -> tuple[Scalar, Scalar]:
    """The original's fold: both bounds start at element 0 and move only on a strict `<`,
    so a NaN after the first element never becomes a bound."""
    if source.element in ("f32", "f64"):
        if _integers_through_monotone_chain(source):
            return _chain_min_max(builder, source)
        return _float_min_max(builder, source)
    return _ordered_min_max(builder, source)


def _integers_through_monotone_chain(source: Buffer) -> bool:
    return (bool(source.steps) and source.stored_element not in ("f32", "f64")
            and all(step.monotone for step in source.steps))


def _chain_min_max(builder: KernelBuilder, source: Buffer) -> tuple[Scalar, Scalar]:
    """Integers through a fused chain of non-decreasing steps that never make a NaN (e.g.
    i16 -> f32 -> scale -> standardise): the chain's bounds are the chain applied to the
    integers' bounds, and the scan is an integer one (i16x8.min_s/max_s) that does not compute
    the chain at all. No value is NaN; a zero bound still needs the first zero in order."""
    raw = Buffer(source.value, source.stored_element, source.shape)
    bounds = _ordered_min_max(builder, raw)
    low, high = (_through(builder, source, bound) for bound in bounds)
    return _first_zero_if_zero(builder, source, low), _first_zero_if_zero(builder, source, high)


def _through(builder: KernelBuilder, source: Buffer, value: Scalar) -> Scalar:
    for step in source.steps:
        value = step.apply(builder, value)
    return value


def _first_zero_if_zero(builder: KernelBuilder, source: Buffer, bound: Scalar) -> Scalar:
    """A bound equal to zero is the first zero in order, with its sign (the fold keeps
    whichever zero came first)."""
    zero = builder.constant(0.0, source.element)
    return builder.if_else(builder.compare("eq", bound, zero),
                           lambda: [_first_zero(builder, source)], lambda: [bound])[0]


def _float_min_max(builder: KernelBuilder, source: Buffer) -> tuple[Scalar, Scalar]:
    """The same bounds as the fold, computed so that LLVM vectorises the scan into cheap
    integer min/max: NaN elements become +inf (for the min) and -inf (for the max), and each
    value is compared by its order key, an integer that sorts exactly as IEEE minimum/maximum
    do (-0 below +0). wasm's f32x4.min/max cost about eight x86 instructions each under
    wasmtime; i32x4.min_s/max_s one. Two cases still need the fold's own rules: a NaN first
    element makes both bounds NaN, and a bound equal to zero is the first zero in order
    (minimum prefers -0 to +0; the fold keeps whichever zero came first)."""
    first = builder.load(source, builder.index(0))
    positive = _order_key(builder, builder.constant(float("inf"), source.element))
    negative = _order_key(builder, builder.constant(float("-inf"), source.element))

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        low, high = carried
        value = builder.load(source, i)
        nan, key = builder.is_nan(value), _order_key(builder, value)
        return [builder.minimum(low, builder.select(nan, positive, key)),
                builder.maximum(high, builder.select(nan, negative, key))]

    start = builder.select(builder.is_nan(first), positive, _order_key(builder, first))
    low, high = (_first_zero_if_zero(builder, source, _from_order_key(builder, key, source.element))
                 for key in builder.fold(source.count, [start, start], step, lower=1))
    nan_first = builder.is_nan(first)
    return builder.select(nan_first, first, low), builder.select(nan_first, first, high)


KEY_OF = {"f32": "i32", "f64": "i64"}


def _order_key(builder: KernelBuilder, value: Scalar) -> Scalar:
    """The float's bits as a signed integer, negative values' magnitude bits flipped: for
    non-NaN floats a < b (with -0 < +0) exactly when key(a) < key(b)."""
    bits = builder.bitcast(value, KEY_OF[value.element])
    width = 8 * (4 if value.element == "f32" else 8)
    sign = builder.shift_right(bits, builder.constant(width - 1, bits.element))
    magnitude = builder.constant(2 ** (width - 1) - 1, bits.element)
    return _bit_xor(builder, bits, builder.bit_and(sign, magnitude))


def _from_order_key(builder: KernelBuilder, key: Scalar, element: str) -> Scalar:
    """The inverse of _order_key (flipping the same bits again)."""
    width = 8 * (4 if element == "f32" else 8)
    sign = builder.shift_right(key, builder.constant(width - 1, key.element))
    magnitude = builder.constant(2 ** (width - 1) - 1, key.element)
    return builder.bitcast(_bit_xor(builder, key, builder.bit_and(sign, magnitude)), element)


def _bit_xor(builder: KernelBuilder, a: Scalar, b: Scalar) -> Scalar:
    return Scalar(builder.emit(arith.XOrIOp(a.value, b.value)).results[0], a.element)


def _first_zero(builder: KernelBuilder, source: Buffer) -> Scalar:
    """The first element equal to zero (+0 or -0), scanning from the start; called only when a
    bound is zero, so one exists."""
    zero = builder.constant(0.0, source.element)

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        (found,) = carried
        value = builder.load(source, i)
        take = builder.bool_and(builder.compare("eq", value, zero),
                                builder.is_nan(found))
        return [builder.select(take, value, found)]

    nan = builder.constant(float("nan"), source.element)
    return builder.fold(source.count, [nan], step)[0]


def _ordered_min_max(builder: KernelBuilder, source: Buffer) -> tuple[Scalar, Scalar]:
    first = builder.load(source, builder.index(0))

    def step(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
        low, high = carried
        value = builder.load(source, i)
        return [builder.select(builder.compare("lt", value, low), value, low),
                builder.select(builder.compare("lt", high, value), value, high)]

    low, high = builder.fold(source.count, [first, first], step, lower=1)
    return low, high


def _fit(builder: KernelBuilder, value: Scalar, low: Scalar, high: Scalar) -> Scalar:
    """(value - low) / (high - low). Integers use the exact difference (read as unsigned, it
    never overflows), so the result is 1 at the maximum and 0 elsewhere, as in the original
    whenever its own subtraction does not overflow."""
    if value.is_float:
        return builder.div(builder.sub(value, low), builder.sub(high, low))
    unsigned = UNSIGNED_OF.get(value.element, value.element)
    offset = builder.convert(builder.sub(value, low), unsigned)
    span = builder.convert(builder.sub(high, low), unsigned)
    # Select a safe divisor: this runs for every element, even when low == high.
    one = builder.constant(1, unsigned)
    safe = builder.select(builder.compare("eq", span, builder.constant(0, unsigned)), one, span)
    return builder.convert(builder.div(offset, safe), value.element)
