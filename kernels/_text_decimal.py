"""Decimal to binary floating point, correctly rounded, as Rust's `str::parse` does it.

Rust (since 1.55) converts w * 10^q (w: up to 19 significant digits in a u64) with the
Eisel-Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per Second", 2021): multiply the
normalised w by a 128-bit truncation of 5^q, keep the top bits, round to even, and report when
the truncated bits leave the rounding undecided. With more than 19 digits Rust also converts
w + 1 and trusts the result when both agree. In the undecided cases Rust falls back to big-number
arithmetic; this kernel falls back to an f64 product instead (within 2 ulp; see
docs/proc-blocks.md). No ProcBlock lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import numpy as np
from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels._text_ops import at, both, either, i32, one_if
from xdsl.ir import SSAValue

SMALLEST_POWER, LARGEST_POWER = -342, 308  # the 5^q table
ALL_ONES = 2**64 - 1
LIMB = 22  # bits per limb of the 64x64 -> 128 multiplication
APPROXIMATE_LOW, APPROXIMATE_HIGH, APPROXIMATE_SPLIT = -360, 310, -300


@dataclass(frozen=True)
class FloatFormat:
    element: str
    bits: str                 # the unsigned type holding its bit pattern
    explicit_bits: int        # stored mantissa bits
    minimum_exponent: int     # -bias
    infinite_power: int       # the biased exponent of infinity
    smallest_power: int       # w * 10^q is 0 below this q, whatever w
    largest_power: int        # and infinity above this one
    min_round_to_even: int    # q range where exact halfway products can occur
    max_round_to_even: int


F64 = FloatFormat("f64", "u64", 52, -1023, 0x7FF, -342, 308, -4, 23)
F32 = FloatFormat("f32", "u32", 23, -127, 0xFF, -65, 38, -17, 10)


@cache
def powers_of_five() -> tuple[np.ndarray, np.ndarray]:
    """(high, low) u64 words of 5^q scaled into [2^127, 2^128), q in [-342, 308]: truncated for
    q >= 0; for q < 0 the reciprocal, floor + 1, truncated to 128 bits (the paper's appendix)."""
    high, low = [], []
    for q in range(SMALLEST_POWER, LARGEST_POWER + 1):
        power = 5 ** abs(q)
        if q >= 0:
            value = power << max(0, 127 - (power.bit_length() - 1))
            value >>= max(0, value.bit_length() - 128)
        else:
            bits = (power - 1).bit_length()  # the least z with 2^z >= 5^-q
            scale = bits + 127 if q >= -27 else 2 * bits + 128
            value = (1 << scale) // power + 1
            value >>= max(0, value.bit_length() - 128)
        high.append(value >> 64)
        low.append(value & ALL_ONES)
    return np.array(high, dtype=np.uint64), np.array(low, dtype=np.uint64)


@cache
def approximate_powers() -> np.ndarray:
    """10^q as f64 for q in [-360, 310], with q below -300 stored as 10^(q+300)."""
    scaled = [q if q >= APPROXIMATE_SPLIT else q - APPROXIMATE_SPLIT
              for q in range(APPROXIMATE_LOW, APPROXIMATE_HIGH + 1)]
    return np.array([float(Decimal(f"1e{q}")) for q in scaled], dtype=np.float64)


def _u64(b: KernelBuilder, value: int) -> Scalar:
    return b.constant(value, "u64")


class DecimalToBinary:
    """w * 10^q rounded to one float format."""

    def __init__(self, b: KernelBuilder, fmt: FloatFormat) -> None:
        self.fmt = fmt
        high, low = powers_of_five()
        self.high = b.table("five_high", high, "u64")
        self.low = b.table("five_low", low, "u64")
        self.approximate = b.table("ten_powers", approximate_powers(), "f64")

    def convert(self, b: KernelBuilder, mantissa: Scalar, power: Scalar,
                truncated: SSAValue) -> Scalar:
        """mantissa (u64) * 10^power (i32) as the format's float; `truncated` says digits beyond
        the mantissa were dropped."""
        fraction, exponent = self._eisel_lemire(b, mantissa, power)
        next_fraction, next_exponent = self._eisel_lemire(b, b.add(mantissa, _u64(b, 1)), power)
        differs = either(b, b.compare("ne", fraction, next_fraction),
                         b.compare("ne", exponent, next_exponent))
        undecided = either(b, b.compare("lt", exponent, i32(b, 0)), both(b, truncated, differs))
        bits_type = self.fmt.bits
        exponent_bits = b.shift_left(b.convert(b.maximum(exponent, i32(b, 0)), bits_type),
                                     b.constant(self.fmt.explicit_bits, bits_type))
        exact = b.bitcast(b.bit_or(exponent_bits, b.convert(fraction, bits_type)),
                          self.fmt.element)
        return b.select(undecided, self._approximate(b, mantissa, power), exact)

    def _approximate(self, b: KernelBuilder, mantissa: Scalar, power: Scalar) -> Scalar:
        clamped = b.minimum(b.maximum(power, i32(b, APPROXIMATE_LOW)), i32(b, APPROXIMATE_HIGH))
        factor = at(b, self.approximate, b.sub(clamped, i32(b, APPROXIMATE_LOW)))
        value = b.mul(b.convert(mantissa, "f64"), factor)
        value = b.select(b.compare("lt", clamped, i32(b, APPROXIMATE_SPLIT)),
                         b.mul(value, b.constant(10.0**APPROXIMATE_SPLIT, "f64")), value)
        return b.convert(value, self.fmt.element)

    @staticmethod
    def _multiply(b: KernelBuilder, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        """The 128-bit product of two u64s as (low, high) words, from 22-bit limbs (LLVM turns
        the usual 32-bit-halves idiom into a call to compiler-rt's __multi3, which a rune
        does not link)."""
        bits, mask = _u64(b, LIMB), _u64(b, (1 << LIMB) - 1)

        def limbs(value: Scalar) -> list[Scalar]:
            return [b.bit_and(value, mask), b.bit_and(b.shift_right(value, bits), mask),
                    b.shift_right(value, _u64(b, 2 * LIMB))]

        xs, ys = limbs(x), limbs(y)
        chunks, carry = [], _u64(b, 0)
        for column in range(6):
            total = carry
            for i in range(3):
                if 0 <= column - i < 3:
                    total = b.add(total, b.mul(xs[i], ys[column - i]))
            chunks.append(b.bit_and(total, mask))
            carry = b.shift_right(total, bits)

        def gather(parts: list[tuple[int, int]]) -> Scalar:
            """OR of chunk k shifted by s (s < 0 shifts right)."""
            result = _u64(b, 0)
            for k, shift in parts:
                moved = (b.shift_left(chunks[k], _u64(b, shift)) if shift >= 0
                         else b.shift_right(chunks[k], _u64(b, -shift)))
                result = b.bit_or(result, moved)
            return result

        low = gather([(0, 0), (1, LIMB), (2, 2 * LIMB)])
        high = gather([(2, 2 * LIMB - 64), (3, 3 * LIMB - 64), (4, 4 * LIMB - 64),
                       (5, 5 * LIMB - 64)])
        return low, high

    @staticmethod
    def _leading_zeros(b: KernelBuilder, x: Scalar) -> Scalar:
        count = i32(b, 0)
        for width in (32, 16, 8, 4, 2, 1):
            empty = b.compare("eq", b.shift_right(x, _u64(b, 64 - width)), _u64(b, 0))
            x = b.select(empty, b.shift_left(x, _u64(b, width)), x)
            count = b.add(count, b.select(empty, i32(b, width), i32(b, 0)))
        return count

    def _eisel_lemire(self, b: KernelBuilder, w: Scalar, q: Scalar) -> tuple[Scalar, Scalar]:
        """(stored mantissa bits as u64, biased exponent as i32); exponent -1 when undecided."""
        fmt = self.fmt
        precision = fmt.explicit_bits + 3
        zero = either(b, b.compare("eq", w, _u64(b, 0)),
                      b.compare("lt", q, i32(b, fmt.smallest_power)))
        infinite = b.compare("gt", q, i32(b, fmt.largest_power))
        shift = self._leading_zeros(b, w)
        normal = b.shift_left(w, b.convert(shift, "u64"))
        row = b.sub(b.minimum(b.maximum(q, i32(b, SMALLEST_POWER)), i32(b, LARGEST_POWER)),
                    i32(b, SMALLEST_POWER))
        low, high = self._multiply(b, normal, at(b, self.high, row))
        mask = _u64(b, ALL_ONES >> precision)
        _, second = self._multiply(b, normal, at(b, self.low, row))
        refine = b.compare("eq", b.bit_and(high, mask), mask)
        sum_low = b.add(low, second)
        carry = b.compare("gt", second, sum_low)
        high = b.select(both(b, refine, carry), b.add(high, _u64(b, 1)), high)
        low = b.select(refine, sum_low, low)
        safe = both(b, b.compare("ge", q, i32(b, -27)), b.compare("le", q, i32(b, 55)))
        undecided = both(b, b.compare("eq", low, _u64(b, ALL_ONES)), b.negate_bool(safe))

        upper = b.convert(b.shift_right(high, _u64(b, 63)), "i32")
        drop = b.convert(b.add(upper, i32(b, 64 - precision)), "u64")
        mantissa = b.shift_right(high, drop)
        log2 = b.add(b.shift_right(b.mul(q, i32(b, 152170 + 65536)), i32(b, 16)), i32(b, 63))
        power2 = b.sub(b.sub(b.add(log2, upper), shift), i32(b, fmt.minimum_exponent))
        subnormal = b.compare("le", power2, i32(b, 0))
        one = _u64(b, 1)
        hidden = _u64(b, 1 << fmt.explicit_bits)

        # Subnormal results: shift the extra bits out, round half up (ties cannot occur here).
        tiny_shift = b.sub(i32(b, 1), power2)
        vanishes = b.compare("ge", tiny_shift, i32(b, 64))
        tiny = b.shift_right(mantissa, b.convert(b.minimum(b.maximum(tiny_shift, i32(b, 0)),
                                                           i32(b, 63)), "u64"))
        tiny = b.shift_right(b.add(tiny, b.bit_and(tiny, one)), one)
        tiny_exponent = one_if(b, b.compare("ge", tiny, hidden))

        # Normal results: an exact halfway product rounds to even.
        halfway = both(b, b.compare("le", low, one),
                       b.compare("ge", q, i32(b, fmt.min_round_to_even)),
                       b.compare("le", q, i32(b, fmt.max_round_to_even)),
                       b.compare("eq", b.bit_and(mantissa, _u64(b, 3)), one),
                       b.compare("eq", b.shift_left(mantissa, drop), high))
        mantissa = b.select(halfway, b.bit_and(mantissa, _u64(b, ALL_ONES - 1)), mantissa)
        mantissa = b.shift_right(b.add(mantissa, b.bit_and(mantissa, one)), one)
        carried = b.compare("ge", mantissa, _u64(b, 2 << fmt.explicit_bits))
        mantissa = b.select(carried, hidden, mantissa)
        power2 = b.add(power2, one_if(b, carried))
        mantissa = b.bit_and(mantissa, _u64(b, ALL_ONES ^ (1 << fmt.explicit_bits)))
        overflow = both(b, b.negate_bool(subnormal),
                        b.compare("ge", power2, i32(b, fmt.infinite_power)))

        fraction = b.select(subnormal, b.select(vanishes, _u64(b, 0), tiny), mantissa)
        exponent = b.select(subnormal, b.select(vanishes, i32(b, 0), tiny_exponent), power2)
        fraction = b.select(overflow, _u64(b, 0), fraction)
        exponent = b.select(overflow, i32(b, fmt.infinite_power), exponent)
        exponent = b.select(undecided, i32(b, -1), exponent)
        fraction = b.select(either(b, zero, infinite), _u64(b, 0), fraction)
        exponent = b.select(zero, i32(b, 0), b.select(infinite, i32(b, fmt.infinite_power),
                                                      exponent))
        return fraction, exponent
