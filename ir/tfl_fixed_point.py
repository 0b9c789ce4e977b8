"""TFLite's integer arithmetic (gemmlowp fixed point), twice: in Python for compile-time tables
and multipliers, and as IR for the kernels, so compiled int8 models match LiteRT bit for bit.

Followed from tensorflow/lite/kernels/internal/common.h, quantization_util.cc and gemmlowp's
fixedpoint.h (MultiplyByQuantizedMultiplier with a saturating rounding doubling high multiply
and a rounding right shift; QuantizeMultiplier via frexp; softmax's exp and reciprocal).
"""

from __future__ import annotations

import math

from rune.ir.kernel_builder import KernelBuilder, Scalar

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


# --- compile time ------------------------------------------------------------------------------

def tf_round(x: float) -> int:
    """std::round: halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(multiplier, shift) with real == multiplier * 2**(shift - 31) (QuantizeMultiplier)."""
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)
    q = tf_round(fraction * (1 << 31))
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul on int32."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // b
    return q if a >= 0 else -q


def rdbpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def sat_mul_pot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT<exponent> on int32."""
    if exponent <= 0:
        return rdbpot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return _wrap32(x << exponent)


def _wrap32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= 1 << 31 else x


def exp_on_negative_values(a: int, integer_bits: int = 5) -> int:
    """gemmlowp exp_on_negative_values: a (raw, `integer_bits` integer bits, a <= 0) -> F0 raw."""
    fractional = 31 - integer_bits
    quarter = 1 << (fractional - 2)
    a_mod = _wrap32((a & (quarter - 1)) - quarter)
    x = _wrap32(sat_mul_pot(a_mod, integer_bits) + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    poly = sat_mul_pot(_wrap32(srdhm(_wrap32(x4_over_4 + x3), 715827883) + x2), -1)
    result = _wrap32(1895147668 + srdhm(1895147668, _wrap32(x + poly)))
    remainder = _wrap32(a_mod - a)
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                                 (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if integer_bits > exponent and remainder & (1 << (fractional + exponent)):
            result = srdhm(result, multiplier)
    return INT32_MAX if a == 0 else result


def softmax_int8_exp(in_scale: float, beta: float, diff: int) -> int:
    """exp(beta * in_scale * -diff) in Q0.31 as reference_ops::Softmax (int8) computes it for a
    difference `diff` >= 0 from the row maximum (0 below its diff_min)."""
    real = min(float(beta) * float(in_scale) * (1 << 26), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    diff_min = -int(math.floor(31.0 * (1 << 26) / (1 << left_shift)))
    if -diff < diff_min:
        return 0
    return exp_on_negative_values(srdhm(-diff * (1 << left_shift), multiplier))


# --- run time (IR) -----------------------------------------------------------------------------

def ir_srdhm(b: KernelBuilder, x: Scalar, y: Scalar) -> Scalar:
    """SaturatingRoundingDoublingHighMul of two i32 scalars."""
    wide = b.mul(b.convert(x, "i64"), b.convert(y, "i64"))
    zero64 = b.constant(0, "i64")
    nudge = b.select(b.compare("ge", wide, zero64), b.constant(1 << 30, "i64"),
                     b.constant(1 - (1 << 30), "i64"))
    high = b.convert(b.div(b.add(wide, nudge), b.constant(1 << 31, "i64")), "i32")
    minimum = b.constant(INT32_MIN, "i32")
    overflow = b.bool_and(b.compare("eq", x, y), b.compare("eq", x, minimum))
    return b.select(overflow, b.constant(INT32_MAX, "i32"), high)


def ir_rdbpot(b: KernelBuilder, x: Scalar, exponent: Scalar) -> Scalar:
    """RoundingDivideByPOT with a run-time exponent (0..31)."""
    one = b.constant(1, "i32")
    mask = b.sub(b.shift_left(one, exponent), one)
    remainder = b.bit_and(x, mask)
    negative = b.compare("lt", x, b.constant(0, "i32"))
    threshold = b.add(b.shift_right(mask, one),
                      b.select(negative, one, b.constant(0, "i32")))
    up = b.select(b.compare("gt", remainder, threshold), one, b.constant(0, "i32"))
    return b.add(b.shift_right(x, exponent), up)


def ir_multiply_by_quantized_multiplier(b: KernelBuilder, x: Scalar, multiplier: Scalar,
                                        shift: Scalar) -> Scalar:
    """MultiplyByQuantizedMultiplier (double rounding, TFLite's default build)."""
    zero = b.constant(0, "i32")
    left = b.maximum(shift, zero)
    right = b.maximum(b.negate(shift), zero)
    return ir_rdbpot(b, ir_srdhm(b, b.shift_left(x, left), multiplier), right)


def ir_sat_mul_pot(b: KernelBuilder, x: Scalar, exponent: int) -> Scalar:
    """SaturatingRoundingMultiplyByPOT<exponent> for a compile-time exponent."""
    if exponent <= 0:
        return ir_rdbpot(b, x, b.constant(-exponent, "i32"))
    threshold = (1 << (31 - exponent)) - 1
    shifted = b.shift_left(x, b.constant(exponent, "i32"))
    shifted = b.select(b.compare("gt", x, b.constant(threshold, "i32")),
                       b.constant(INT32_MAX, "i32"), shifted)
    return b.select(b.compare("lt", x, b.constant(-threshold, "i32")),
                    b.constant(INT32_MIN, "i32"), shifted)


def ir_count_leading_zeros(b: KernelBuilder, x: Scalar) -> Scalar:
    """Leading zero bits of a u32 (32 for zero), by binary search with selects."""
    value = Scalar(x.value, "u32")
    count = b.constant(0, "i32")
    for bits in (16, 8, 4, 2, 1):
        limit = b.constant(1 << (32 - bits), "u32")
        small = b.compare("lt", value, limit)
        value = b.select(small, b.shift_left(value, b.constant(bits, "u32")), value)
        count = b.select(small, b.add(count, b.constant(bits, "i32")), count)
    zero = b.compare("eq", x, b.constant(0, x.element))
    return b.select(zero, b.constant(32, "i32"), count)


def ir_reciprocal(b: KernelBuilder, x: Scalar, integer_digits: int) -> tuple[Scalar, Scalar]:
    """GetReciprocal: (F0 raw of 1/(1+y), num_bits_over_unit) for a positive F`digits` x."""
    headroom = ir_count_leading_zeros(b, x)
    bits_over_unit = b.sub(b.constant(integer_digits, "i32"), headroom)
    shifted = b.sub(b.shift_left(x, headroom), b.constant(INT32_MIN, "i32"))
    # one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson in F2)
    sum64 = b.add(b.convert(shifted, "i64"), b.constant(INT32_MAX, "i64"))
    sign = b.select(b.compare("ge", sum64, b.constant(0, "i64")), b.constant(1, "i64"),
                    b.constant(-1, "i64"))
    half = b.convert(b.div(b.add(sum64, sign), b.constant(2, "i64")), "i32")
    value = b.add(b.constant(1515870810, "i32"), ir_srdhm(b, half, b.constant(-1010580540, "i32")))
    for _ in range(3):
        one_minus = b.sub(b.constant(1 << 29, "i32"), ir_srdhm(b, half, value))
        value = b.add(value, ir_sat_mul_pot(b, ir_srdhm(b, value, one_minus), 2))
    return ir_sat_mul_pot(b, value, 1), bits_over_unit
