"""The original's libm (Rust `libm` 0.2.1, FreeBSD msun algorithms), reproduced where a kernel must
agree with it bit for bit (no ProcBlock here).

- `cosf`/`sinf` run at compile time (NumPy, f64 steps exactly as the C): `fft` bakes the original's
  window and twiddles, which came from libm's cosf/sinf, into tables. They are not always the
  correctly rounded cos/sin: 4 of the 4608 twiddle parts for N = 512 differ from np.cos/np.sin
  rounded to f32.
- `log2` emits IR: `noise_filtering` takes log2 of every value at run time, in f64.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from rune.ir.kernel_builder import KernelBuilder, Scalar

_PIO2 = math.pi / 2  # FRAC_PI_2; the multiples below are rounded f64 products, as in the C
_C = (-0.499999997251031003120, 0.0416666233237390631894, -0.00138867637746099294692,
      0.0000243904487962774090654)
_S = (-0.166666666416265235595, 0.0083333293858894631756, -0.000198393348360966317347,
      0.0000027183114939898219064)
_TOINT = 1.5 / sys.float_info.epsilon  # NumPy's f64 epsilon; no NumPy at import
_INV_PIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079631090164184570e+00
_PIO2_1T = 1.58932547735281966916e-08


def _k_cosf(x: np.ndarray) -> np.ndarray:
    z = x * x
    w = z * z
    r = _C[2] + z * _C[3]
    return (((1.0 + z * _C[0]) + w * _C[1]) + (w * z) * r).astype(np.float32)


def _k_sinf(x: np.ndarray) -> np.ndarray:
    z = x * x
    w = z * z
    r = _S[2] + z * _S[3]
    s = z * x
    return ((x + s * (_S[0] + z * _S[1])) + s * w * r).astype(np.float32)


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32)
    magnitude = bits & np.uint32(0x7FFFFFFF)
    if not (magnitude < 0x4DC90FDB).all():
        raise ValueError("argument beyond 2^28 pi/2 (or not finite): not needed by the kernels")
    return x.astype(np.float64), magnitude, (bits >> np.uint32(31)).astype(bool)


def _reduce(x64: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """rem_pio2f for medium arguments: quadrant n and x - n pi/2 in f64."""
    n = x64 * _INV_PIO2 + _TOINT - _TOINT
    return n.astype(np.int64) & 3, x64 - n * _PIO2_1 - n * _PIO2_1T


def cosf(x: np.ndarray) -> np.ndarray:
    """libm's cosf of f32 arguments below 2^28 pi/2 in magnitude."""
    x64, ix, neg = _split(x)
    quadrant, y = _reduce(x64)
    reduced = np.select(
        [quadrant == 0, quadrant == 1, quadrant == 2],
        [_k_cosf(y), _k_sinf(-y), -_k_cosf(y)], _k_sinf(y),
    )
    return np.select(
        [ix < 0x39800000, ix <= 0x3F490FDA,
         (ix <= 0x407B53D1) & (ix > 0x4016CBE3), ix <= 0x407B53D1,
         (ix <= 0x40E231D5) & (ix > 0x40AFEDDF), ix <= 0x40E231D5],
        [np.float32(1.0), _k_cosf(x64),
         -_k_cosf(np.where(neg, x64 + 2 * _PIO2, x64 - 2 * _PIO2)),
         np.where(neg, _k_sinf(x64 + _PIO2), _k_sinf(_PIO2 - x64)),
         _k_cosf(np.where(neg, x64 + 4 * _PIO2, x64 - 4 * _PIO2)),
         np.where(neg, _k_sinf(-x64 - 3 * _PIO2), _k_sinf(x64 - 3 * _PIO2))],
        reduced,
    ).astype(np.float32)


def sinf(x: np.ndarray) -> np.ndarray:
    """libm's sinf of f32 arguments below 2^28 pi/2 in magnitude."""
    x64, ix, neg = _split(x)
    quadrant, y = _reduce(x64)
    reduced = np.select(
        [quadrant == 0, quadrant == 1, quadrant == 2],
        [_k_sinf(y), _k_cosf(y), _k_sinf(-y)], -_k_cosf(y),
    )
    return np.select(
        [ix < 0x39800000, ix <= 0x3F490FDA,
         ix <= 0x4016CBE3, ix <= 0x407B53D1,
         ix <= 0x40AFEDDF, ix <= 0x40E231D5],
        [np.asarray(x, dtype=np.float32), _k_sinf(x64),
         np.where(neg, -_k_cosf(x64 + _PIO2), _k_cosf(x64 - _PIO2)),
         _k_sinf(np.where(neg, -(x64 + 2 * _PIO2), -(x64 - 2 * _PIO2))),
         np.where(neg, _k_cosf(x64 + 3 * _PIO2), -_k_cosf(x64 - 3 * _PIO2)),
         _k_sinf(np.where(neg, x64 + 4 * _PIO2, x64 - 4 * _PIO2))],
        reduced,
    ).astype(np.float32)


_IVLN2HI = 1.44269504072144627571e+00
_IVLN2LO = 1.67517131648865118353e-10
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)


def log2(b: KernelBuilder, x: Scalar) -> Scalar:
    """libm's log2 for a finite f64 x >= 2^-1022 (the callers pass values >= 1): x = 2^k (1+f)
    with 1+f in [sqrt(2)/2, sqrt(2)), log(1+f) by the Lg polynomial in s = f/(2+f), then
    hi/lo products with 1/ln 2 split in two, summed with k in extra precision."""
    def f64(value: float) -> Scalar:
        return b.constant(value, "f64")

    def u32(value: int) -> Scalar:
        return b.constant(value, "u32")

    bits = b.bitcast(x, "u64")
    high = b.add(b.convert(b.shift_right(bits, b.constant(32, "u64")), "u32"),
                 u32(0x3FF00000 - 0x3FE6A09E))
    k = b.sub(b.convert(b.shift_right(high, u32(20)), "i32"), b.constant(0x3FF, "i32"))
    high = b.add(b.bit_and(high, u32(0x000FFFFF)), u32(0x3FE6A09E))
    reduced = b.bit_or(b.shift_left(b.convert(high, "u64"), b.constant(32, "u64")),
                       b.bit_and(bits, b.constant(0xFFFFFFFF, "u64")))
    f = b.sub(b.bitcast(reduced, "f64"), f64(1.0))
    hfsq = b.mul(b.mul(f64(0.5), f), f)
    s = b.div(f, b.add(f64(2.0), f))
    z = b.mul(s, s)
    w = b.mul(z, z)
    t1 = b.mul(w, b.add(f64(_LG[1]), b.mul(w, b.add(f64(_LG[3]), b.mul(w, f64(_LG[5]))))))
    t2 = b.mul(z, b.add(f64(_LG[0]), b.mul(w, b.add(
        f64(_LG[2]), b.mul(w, b.add(f64(_LG[4]), b.mul(w, f64(_LG[6]))))))))
    r = b.add(t2, t1)
    hi = b.sub(f, hfsq)
    hi = b.bitcast(b.bit_and(b.bitcast(hi, "u64"), b.constant(0xFFFFFFFF00000000, "u64")), "f64")
    lo = b.add(b.sub(b.sub(f, hi), hfsq), b.mul(s, b.add(hfsq, r)))
    val_hi = b.mul(hi, f64(_IVLN2HI))
    val_lo = b.add(b.mul(b.add(lo, hi), f64(_IVLN2LO)), b.mul(lo, f64(_IVLN2HI)))
    y = b.convert(k, "f64")
    total = b.add(y, val_hi)
    val_lo = b.add(val_lo, b.add(b.sub(y, total), val_hi))
    return b.add(val_lo, total)


#: log2(1 + t) / t on [0, 1), a degree-6 Chebyshev fit (fitted once, in f64, rounded to f32):
#: with the exponent, log2 of any f32 >= 1 to within 1.5e-6 (`noise_filtering` relaxed).
_LOG2_FIT = (1.4426932334899902, -0.721162736415863, 0.4777059257030487, -0.33924779295921326,
             0.2155885398387909, -0.09606625884771347, 0.02049034833908081)


def log2_relaxed(b: KernelBuilder, x: Scalar) -> Scalar:
    """log2 of a finite f32 x >= 1 in f32: the exponent, plus t * P(t) for the mantissa 1 + t
    (Horner, no division or table: cheap on an FPU without f64, and vectorisable)."""
    bits = b.bitcast(x, "u32")
    exponent = b.sub(b.convert(b.shift_right(bits, b.constant(23, "u32")), "i32"),
                     b.constant(127, "i32"))
    mantissa = b.bit_or(b.bit_and(bits, b.constant(0x007FFFFF, "u32")),
                        b.constant(0x3F800000, "u32"))
    t = b.sub(b.bitcast(mantissa, "f32"), b.constant(1.0, "f32"))
    poly = b.constant(_LOG2_FIT[-1], "f32")
    for coefficient in _LOG2_FIT[-2::-1]:
        poly = b.add(b.mul(poly, t), b.constant(coefficient, "f32"))
    return b.add(b.convert(exponent, "f32"), b.mul(t, poly))
