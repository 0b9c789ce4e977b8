"""Transcendental functions written in IR, because a rune links against no libm.

`llvm.exp`/`llvm.log` would become calls to `expf`/`logf`, which wasm-ld cannot resolve (and a
Cortex-M build would pull in newlib). These are Cephes' single-precision algorithms: range
reduction by powers of two, then a short polynomial. Both stay within 2 ulp of the correctly
rounded result over the normal f32 range (tests/kernels/test_kernel_math.py measures it).
Doubles are computed through f32 precision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rune.ir.kernel_builder import KernelBuilder, Scalar

LOG2E = 1.44269504088896341
LN2_HI = 0.693359375
LN2_LO = -2.12194440e-4
EXP_POLY = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
            1.6666665459e-1, 5.0000001201e-1)
LOG_POLY = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
            1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
            3.3333331174e-1)
EXP_OVERFLOW = 88.72283935546875  # above this expf is +inf
EXP_UNDERFLOW = -103.97207708      # below this expf is +0
SQRT_HALF = 0.70710678118654752
EXP_MINUS_64 = 1.6038108905486379e-28  # exp(-64), a normal f32


def _horner(b: KernelBuilder, x: Scalar, coefficients: tuple[float, ...]) -> Scalar:
    result = b.constant(coefficients[0], "f32")
    for c in coefficients[1:]:
        result = b.add(b.mul(result, x), b.constant(c, "f32"))
    return result


def _pow2(b: KernelBuilder, n: Scalar) -> Scalar:
    """2**n as f32 for integer n (i32) in [-126, 127], built from its exponent bits."""
    biased = b.add(n, b.constant(127, "i32"))
    return b.bitcast(b.shift_left(biased, b.constant(23, "i32")), "f32")


def _exp_reduced(b: KernelBuilder, x: Scalar) -> Scalar:
    """exp(x) for f32 x in [-88, 88.5]: x = n ln2 + r, |r| <= ln2/2, exp(r) by polynomial."""
    n_float = b.floor(b.add(b.mul(x, b.constant(LOG2E, "f32")), b.constant(0.5, "f32")))
    r = b.sub(x, b.mul(n_float, b.constant(LN2_HI, "f32")))
    r = b.sub(r, b.mul(n_float, b.constant(LN2_LO, "f32")))
    p = b.add(b.add(b.mul(_horner(b, r, EXP_POLY), b.mul(r, r)), r), b.constant(1.0, "f32"))
    # Two scalings keep each power of two inside the normal exponent range.
    n = b.convert(n_float, "i32")
    half = b.shift_right(n, b.constant(1, "i32"))
    return b.mul(b.mul(p, _pow2(b, half)), _pow2(b, b.sub(n, half)))


def exp(b: KernelBuilder, x: Scalar) -> Scalar:
    """e**x: +inf above 88.72, +0 below -103.97, subnormal results in between, NaN for NaN."""
    source = x.element
    x = b.convert(x, "f32")
    low, high = b.constant(-88.0, "f32"), b.constant(88.5, "f32")
    result = _exp_reduced(b, b.minimum(b.maximum(x, low), high))
    # Results below the normal range: exp(x) = exp(x + 64) * exp(-64), rounding once at the end.
    shifted = b.minimum(b.maximum(b.add(x, b.constant(64.0, "f32")), low), high)
    subnormal = b.mul(_exp_reduced(b, shifted), b.constant(EXP_MINUS_64, "f32"))
    result = b.select(b.compare("lt", x, low), subnormal, result)
    result = b.select(b.compare("gt", x, b.constant(EXP_OVERFLOW, "f32")),
                      b.constant(float("inf"), "f32"), result)
    result = b.select(b.compare("lt", x, b.constant(EXP_UNDERFLOW, "f32")),
                      b.constant(0.0, "f32"), result)
    # NaN stays NaN: every comparison above is ordered, so NaN keeps the polynomial's NaN.
    return b.convert(result, source)


def log(b: KernelBuilder, x: Scalar) -> Scalar:
    """Natural log: -inf at 0, NaN below 0 and for NaN, +inf at +inf."""
    source = x.element
    x = b.convert(x, "f32")
    bits = b.bitcast(x, "i32")
    exponent = b.sub(b.bit_and(b.shift_right(bits, b.constant(23, "i32")),
                               b.constant(0xFF, "i32")), b.constant(127, "i32"))
    mantissa = b.bitcast(b.bit_or(b.bit_and(bits, b.constant(0x7FFFFF, "i32")),
                                  b.constant(0x3F800000, "i32")), "f32")  # in [1, 2)
    # Centre the mantissa on 1: [sqrt(1/2), sqrt(2)).
    big = b.compare("gt", mantissa, b.constant(2 * SQRT_HALF, "f32"))
    mantissa = b.select(big, b.mul(mantissa, b.constant(0.5, "f32")), mantissa)
    exponent = b.select(big, b.add(exponent, b.constant(1, "i32")), exponent)
    e = b.convert(exponent, "f32")
    f = b.sub(mantissa, b.constant(1.0, "f32"))
    z = b.mul(f, f)
    y = b.mul(b.mul(_horner(b, f, LOG_POLY), f), z)
    y = b.add(y, b.mul(e, b.constant(LN2_LO, "f32")))
    y = b.sub(y, b.mul(z, b.constant(0.5, "f32")))
    result = b.add(b.add(f, y), b.mul(e, b.constant(LN2_HI, "f32")))
    zero = b.constant(0.0, "f32")
    result = b.select(b.compare("eq", x, zero), b.constant(float("-inf"), "f32"), result)
    result = b.select(b.compare("eq", x, b.constant(float("inf"), "f32")), x, result)
    nan = b.constant(float("nan"), "f32")
    not_positive_or_nan = b.negate_bool(b.compare("ge", x, zero))
    result = b.select(not_positive_or_nan, b.select(b.compare("eq", x, zero), result, nan), result)
    return b.convert(result, source)
