"""Min and max of a buffer of floats known to be never NaN and never below +0 (no ProcBlock here).

For such floats the bits read as a signed integer order exactly as the values do (+0 first,
+inf last), so minimum/maximum from +-inf are integer min/max over the bits: one SIMD
instruction each, where wasm's f64x2.min/max (NaN- and zero-sign-aware) take about eight x86
instructions under wasmtime. `fft` and `noise_filtering` scale square roots and log2s of values
>= 1 this way.
"""

from __future__ import annotations

import math

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar

KEY = {"f64": "i64", "f32": "i32"}


def nonnegative_bounds(b: KernelBuilder, values: Buffer, count: int) -> tuple[Scalar, Scalar]:
    """(min, max) of values[0:count]; +inf and -inf when count is 0."""
    real, key = values.element, KEY[values.element]

    def bits(value: Scalar) -> Scalar:
        return b.bitcast(value, key)

    low, high = b.fold(
        count,
        [bits(b.constant(math.inf, real)), bits(b.constant(-math.inf, real))],
        lambda i, acc: [b.minimum(acc[0], bits(b.load(values, i))),
                        b.maximum(acc[1], bits(b.load(values, i)))],
    )
    return b.bitcast(low, real), b.bitcast(high, real)
