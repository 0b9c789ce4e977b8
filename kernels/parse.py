"""parse: the whitespace-separated words of utf8 strings, parsed as numbers (Rust's `str::parse`).

Words are read byte by byte through a small state machine per element type: integers exactly as
Rust's `FromStr` (optional sign, decimal digits, overflow is an error); floats by Rust's grammar
(`[+-]?(inf|infinity|nan|digits[.digits][e[+-]digits])`, case-insensitive) and a decimal-to-binary
conversion described in docs/proc-blocks.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.ir.text_rules import RUST_WHITESPACE
from rune.kernels._text_decimal import F32, F64, DecimalToBinary
from rune.kernels._text_ops import (
    at,
    between,
    both,
    choose,
    cond,
    either,
    equals,
    i32,
    memory_byte,
    one_if,
    put,
    string_parts,
    truth,
)
from rune.kernels.base import ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

NUMBER_TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64")
MAX_DIGITS = 19          # significant decimal digits kept in a u64 mantissa (as Rust does)
EXPONENT_CAP = 99_999    # an exponent this large already means 0 or infinity
_MULTIBYTE_SPACES = sorted(cp for cp in RUST_WHITESPACE if cp > 0x7F)


def whitespace_length(b: KernelBuilder, first: Scalar, second: Scalar, third: Scalar) -> Scalar:
    """Bytes of the `char::is_whitespace` character these bytes start with, 0 if none."""
    length = b.select(either(b, between(b, first, 0x09, 0x0D), equals(b, first, 0x20)),
                      i32(b, 1), i32(b, 0))
    for cp in _MULTIBYTE_SPACES:
        encoded = chr(cp).encode("utf-8")
        matches = both(b, *(equals(b, byte, value)
                            for byte, value in zip((first, second, third), encoded, strict=False)))
        length = b.select(matches, i32(b, len(encoded)), length)
    return length


class _IntegerWord:
    """`<int>::from_str`: [+-]?digits ('-' only for signed types), no overflow."""

    def __init__(self, element: str) -> None:
        self.element = element
        self.signed = element[0] == "i"
        self.width = int(element[1:])

    def start(self, b: KernelBuilder) -> list[Scalar]:
        # position, negative, digits, magnitude, overflowed, bad
        return [i32(b, 0), truth(b, False), i32(b, 0), b.constant(0, "u64"), truth(b, False),
                truth(b, False)]

    def feed(self, b: KernelBuilder, state: list[Scalar], byte: Scalar) -> list[Scalar]:
        position, negative, digits, magnitude, overflowed, bad = state
        first = equals(b, position, 0)
        digit = between(b, byte, 0x30, 0x39)
        value = b.convert(b.sub(byte, i32(b, 0x30)), "u64")
        minus = both(b, first, equals(b, byte, 0x2D)) if self.signed else truth(b, False).value
        sign = either(b, both(b, first, equals(b, byte, 0x2B)), minus)
        limit = b.constant((2**64 - 1) // 10, "u64")
        too_big = either(b, b.compare("gt", magnitude, limit),
                         both(b, b.compare("eq", magnitude, limit),
                              b.compare("gt", value, b.constant(5, "u64"))))
        grown = b.add(b.mul(magnitude, b.constant(10, "u64")), value)
        return [
            b.add(position, i32(b, 1)),
            cond(either(b, negative.value, minus)),
            b.add(digits, one_if(b, digit)),
            b.select(digit, grown, magnitude),
            cond(either(b, overflowed.value, both(b, digit, too_big))),
            cond(either(b, bad.value, b.negate_bool(either(b, digit, sign)))),
        ]

    def finish(self, b: KernelBuilder, state: list[Scalar]) -> Scalar:
        _, negative, digits, magnitude, overflowed, bad = state
        if self.signed:
            top = 2 ** (self.width - 1)
            limit = b.select(negative.value, b.constant(top, "u64"), b.constant(top - 1, "u64"))
        else:
            limit = b.constant(2**self.width - 1, "u64")
        ok = both(b, b.negate_bool(bad.value), b.compare("gt", digits, i32(b, 0)),
                  b.negate_bool(overflowed.value), b.compare("le", magnitude, limit))
        signed = b.select(negative.value, b.sub(b.constant(0, "u64"), magnitude), magnitude)
        value = b.convert(signed, self.element)
        return b.select(ok, value, b.constant(0, self.element))


class _FloatWord:
    """`<float>::from_str`: Rust's float grammar, inf/infinity/nan in any case, NaN on error."""

    def __init__(self, b: KernelBuilder, element: str) -> None:
        self.element = element
        self.infinity = b.table("infinity", np.frombuffer(b"infinity", np.uint8), "u8")
        self.nan = b.table("nan", np.frombuffer(b"nan", np.uint8), "u8")
        self.decimal = DecimalToBinary(b, F64 if element == "f64" else F32)

    def start(self, b: KernelBuilder) -> list[Scalar]:
        # position, negative, letters, infinity?, nan?, phase, mantissa, significant,
        # truncated, decimal exponent, digits, exponent, exponent negative, exponent digits, bad
        no, yes = truth(b, False), truth(b, True)
        return [i32(b, 0), no, i32(b, 0), yes, yes, i32(b, 0), b.constant(0, "u64"),
                i32(b, 0), no, i32(b, 0), i32(b, 0), i32(b, 0), no, i32(b, 0), no]

    def _spells(self, b: KernelBuilder, word: Buffer, letters: Scalar, lower: Scalar,
                so_far: Scalar) -> SSAValue:
        """Still a prefix of `word` (case-insensitively) after this letter."""
        size = word.count
        index = b.minimum(letters, i32(b, size - 1))
        expected = b.convert(at(b, word, index), "i32")
        return both(b, so_far.value, b.compare("lt", letters, i32(b, size)),
                    b.compare("eq", lower, expected))

    def feed(self, b: KernelBuilder, state: list[Scalar], byte: Scalar) -> list[Scalar]:
        (position, negative, letters, infinity, nan, phase, mantissa, significant, truncated,
         decimal, digits, exponent, exponent_negative, exponent_digits, bad) = state
        first = equals(b, position, 0)
        plus, minus = equals(b, byte, 0x2B), equals(b, byte, 0x2D)
        sign = either(b, plus, minus)
        lead_sign = both(b, first, sign)
        lower = b.bit_or(byte, i32(b, 0x20))
        letter = b.negate_bool(lead_sign)
        infinity = cond(choose(b, letter, self._spells(b, self.infinity, letters, lower,
                                                       infinity), infinity.value))
        nan = cond(choose(b, letter, self._spells(b, self.nan, letters, lower, nan), nan.value))

        digit = between(b, byte, 0x30, 0x39)
        value = b.sub(byte, i32(b, 0x30))
        in_mantissa = b.compare("lt", phase, i32(b, 2))
        in_fraction = equals(b, phase, 1)
        mantissa_digit = both(b, digit, in_mantissa)
        exponent_digit = both(b, digit, b.negate_bool(in_mantissa))
        exponent_sign = both(b, sign, equals(b, phase, 2))
        to_fraction = both(b, equals(b, byte, 0x2E), equals(b, phase, 0))
        to_exponent = both(b, equals(b, lower, 0x65), in_mantissa,
                           b.compare("gt", digits, i32(b, 0)))
        accepted = either(b, lead_sign, mantissa_digit, exponent_digit, exponent_sign,
                          to_fraction, to_exponent)
        next_phase = b.select(to_fraction, i32(b, 1), b.select(
            to_exponent, i32(b, 2), b.select(either(b, exponent_sign, exponent_digit),
                                             i32(b, 3), phase)))

        leading_zero = both(b, mantissa_digit, b.compare("eq", mantissa, b.constant(0, "u64")),
                            equals(b, value, 0))
        counted = both(b, mantissa_digit, b.negate_bool(leading_zero))
        keep = both(b, counted, b.compare("lt", significant, i32(b, MAX_DIGITS)))
        drop = both(b, counted, b.compare("ge", significant, i32(b, MAX_DIGITS)))
        grown = b.add(b.mul(mantissa, b.constant(10, "u64")), b.convert(value, "u64"))
        shift_down = both(b, in_fraction, either(b, leading_zero, keep))
        shift_up = both(b, equals(b, phase, 0), drop)
        next_exponent = b.minimum(b.add(b.mul(exponent, i32(b, 10)), value), i32(b, EXPONENT_CAP))
        return [
            b.add(position, i32(b, 1)),
            cond(either(b, negative.value, both(b, first, minus))),
            b.add(letters, one_if(b, letter)),
            infinity,
            nan,
            next_phase,
            b.select(keep, grown, mantissa),
            b.add(significant, one_if(b, keep)),
            cond(either(b, truncated.value, drop)),
            b.add(b.sub(decimal, one_if(b, shift_down)), one_if(b, shift_up)),
            b.add(digits, one_if(b, mantissa_digit)),
            b.select(exponent_digit, next_exponent, exponent),
            cond(either(b, exponent_negative.value, both(b, exponent_sign, minus))),
            b.add(exponent_digits, one_if(b, exponent_digit)),
            cond(either(b, bad.value, b.negate_bool(accepted))),
        ]

    def finish(self, b: KernelBuilder, state: list[Scalar]) -> Scalar:
        (_, negative, letters, infinity, nan, phase, mantissa, _, truncated, decimal, digits,
         exponent, exponent_negative, exponent_digits, bad) = state
        number = both(b, b.negate_bool(bad.value), b.compare("gt", digits, i32(b, 0)),
                      either(b, b.compare("lt", phase, i32(b, 2)),
                             b.compare("gt", exponent_digits, i32(b, 0))))
        is_infinity = both(b, infinity.value, either(b, equals(b, letters, 3),
                                                     equals(b, letters, 8)))
        is_nan = both(b, nan.value, equals(b, letters, 3))
        power = b.add(decimal, b.select(exponent_negative.value, b.negate(exponent), exponent))
        value = self.decimal.convert(b, mantissa, power, truncated.value)
        special = b.select(is_infinity, b.constant(float("inf"), self.element),
                           b.constant(float("nan"), self.element))
        value = b.select(either(b, is_infinity, is_nan), special,
                         b.select(number, value, b.constant(float("nan"), self.element)))
        return b.select(negative.value, b.negate(value), value)


class Parse(ProcBlock):
    name = "parse"
    summary = "the whitespace-separated words of utf8 strings parsed as numbers, in order"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(f"parse takes 1 input and gives 1 output, "
                                 f"not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element != "utf8":
            raise ProcBlockError(f"parse reads utf8 strings, not {source.element}")
        if result.element not in NUMBER_TYPES:
            raise ProcBlockError(f"parse gives numbers of type {', '.join(NUMBER_TYPES)}, "
                                 f"not {result.element}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        (source,), (result,) = inputs, outputs
        word = (_FloatWord(b, result.element) if result.element in ("f32", "f64")
                else _IntegerWord(result.element))
        with b.loop(result.count) as i:
            b.store(b.constant(0, result.element), result, i)
        capacity = i32(b, result.count)

        def each_string(i: SSAValue, carried: list[Scalar]) -> list[Scalar]:
            pointer, length = string_parts(b, b.load(source, i))

            def read(position: Scalar) -> Scalar:
                inside = b.compare("lt", position, length)
                return b.if_else(inside, lambda: [memory_byte(b, b.add(pointer, position))],
                                 lambda: [i32(b, 0)])[0]

            def each_byte(j: SSAValue, state: list[Scalar]) -> list[Scalar]:
                out, stopped, skip, in_word, *current = state
                position = b.from_index(j)
                byte = read(position)
                spaces = whitespace_length(b, byte, read(b.add(position, i32(b, 1))),
                                           read(b.add(position, i32(b, 2))))
                inside = b.compare("lt", position, length)
                skipping = b.compare("gt", skip, i32(b, 0))
                reading = b.negate_bool(skipping)
                stopped = cond(either(b, stopped.value,
                                      both(b, reading, inside, equals(b, byte, 0))))
                spacing = b.compare("gt", spaces, i32(b, 0))
                boundary = both(b, reading, either(b, b.negate_bool(inside), stopped.value,
                                                   spacing))
                finishing = both(b, boundary, in_word.value)
                b.when(both(b, finishing, b.compare("lt", out, capacity)),
                     lambda: put(b, word.finish(b, current), result, out))
                feeding = both(b, reading, b.negate_bool(boundary))
                fed = word.feed(b, current, byte)
                fresh = word.start(b)
                next_skip = b.select(skipping, b.sub(skip, i32(b, 1)),
                                     b.select(both(b, boundary, spacing),
                                              b.sub(spaces, i32(b, 1)), i32(b, 0)))
                return [
                    b.add(out, one_if(b, finishing)),
                    stopped,
                    next_skip,
                    cond(choose(b, skipping, in_word.value, feeding)),
                    *(b.select(feeding, f, s) for f, s in zip(fed, fresh, strict=True)),
                ]

            init = [carried[0], truth(b, False), i32(b, 0), truth(b, False), *word.start(b)]
            upper = b.to_index(b.add(length, i32(b, 1)))
            return [b.fold(upper, init, each_byte)[0]]

        b.fold(source.count, [i32(b, 0)], each_string)
