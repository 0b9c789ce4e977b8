"""noise_filtering: the original's microspeech post-processing, u32 [1, n] -> i8 [1, n].

Per element (all integer arithmetic, as the original): noise reduction against a running estimate
kept across runs, PCAN gain control from a 125-entry i16 table, then log2(v + 1) in f64 (libm's
algorithm) and trunc(255 (e - min) / (max - min) - 128) over the whole tensor. The estimate update
is est' = (s*smoothing + est*2^14) >> 14, with s = x << smoothing_bits; the original weights the
old estimate by 2^14 where TFLM's micro frontend uses 2^14 - smoothing, so the estimate only grows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._audio_libm import log2, log2_relaxed
from rune.kernels._blocks import in_blocks
from rune.kernels._bounds import nonnegative_bounds
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

NOISE_REDUCTION_BITS = 14
PCAN_SNR_BITS = 12
PCAN_OUTPUT_BITS = 6
CORRECTION_BITS = -1
DEFAULT_SMOOTHING_BITS = 10
DEFAULT_GAIN = (0.95, 80.0, 21)  # strength, offset, gain_bits
#: Contiguous blocks of the values each loop walks side by side (kernels/_blocks.py), each value
#: a chain of dependent operations (measured side by side, microspeech, µs: energy loop 1 -> 2
#: -> 4 blocks with the log2 loop at 2, 31.4 -> 29.6 -> 28.5 as `runec --models=compiled`
#: builds it, 31.3 -> 29.3 -> 28.4 with the model on its handler; log2 loop 1 -> 2: 30.3 ->
#: 29.7, 3 or 4 no better).
ENERGY_BLOCKS = 4
LOG_BLOCKS = 2


def scaled_u16(value: float) -> int:
    """The original's ScaledU16: clamp to [0, 1] and scale to 2^14, in f32, truncated."""
    clamped = min(max(np.float32(value), np.float32(0.0)), np.float32(1.0))
    return int(np.float32(clamped * np.float32(1 << NOISE_REDUCTION_BITS)))


def _gain(strength: float, offset: float, gain_bits: int, input_bits: int, x: int) -> int:
    """gain_lookup: round(2^gain_bits (x / 2^input_bits + offset)^-strength) in f32, capped at
    i16::MAX. powf is taken correctly rounded (f64 pow rounded to f32)."""
    x32 = np.float32(np.float32(x) / np.float32(1 << input_bits))
    base = np.float64(np.float32(x32 + np.float32(offset)))
    with np.errstate(all="ignore"):  # a negative base gives NaN, zero gives inf, as powf does
        power = np.float32(np.power(base, -np.float64(np.float32(strength))))
        gain = np.fmin(np.float32(np.float32(1 << gain_bits) * power), np.float32(32767.0))
        return int(np.nan_to_num(np.float32(gain + np.float32(0.5)), nan=0.0))


def gain_table(strength: float, offset: float, gain_bits: int, smoothing_bits: int) -> np.ndarray:
    """The PCAN wide-dynamic-function table: entries 0 and 1, then (y0, a1, a2, 0) per interval
    2..32 for a quadratic through x0 = 2^(interval-1), 1.5 x0 and 2 x0, in wrapping i16."""
    input_bits = smoothing_bits - CORRECTION_BITS
    table = np.zeros(4 * 32 - 3, dtype=np.int64)
    table[0] = _gain(strength, offset, gain_bits, input_bits, 0)
    table[1] = _gain(strength, offset, gain_bits, input_bits, 1)
    for interval in range(2, 33):
        x0 = 1 << (interval - 1)
        x2 = x0 + (x0 - 1) if interval == 32 else 2 * x0
        y0, y1, y2 = (_gain(strength, offset, gain_bits, input_bits, x)
                      for x in (x0, x0 + (x0 >> 1), x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        table[4 * interval - 6: 4 * interval - 3] = (y0, a1, (y2 - y0) - a1)
    return table.astype(np.int16)  # wraps as the original's i16 arithmetic does


class NoiseFiltering(ProcBlock):
    name = "noise_filtering"
    summary = ("noise reduction + PCAN gain control + log2, scaled to i8; keeps its noise "
               "estimate across runs")
    arg_specs = (
        ArgSpec("strength", float, default=DEFAULT_GAIN[0], doc="PCAN gain exponent"),
        ArgSpec("offset", float, default=DEFAULT_GAIN[1], doc="PCAN denominator offset"),
        ArgSpec("gain_bits", int, default=DEFAULT_GAIN[2], minimum=11, maximum=30,
                doc="fractional bits of the PCAN gain"),
        ArgSpec("smoothing_bits", int, default=DEFAULT_SMOOTHING_BITS, minimum=0, maximum=30,
                doc="extra precision bits of the noise estimate"),
        ArgSpec("even_smoothing", float, default=0.025,
                doc="estimate update weight for even channels (clamped to [0, 1])"),
        ArgSpec("odd_smoothing", float, default=0.06,
                doc="estimate update weight for odd channels (clamped to [0, 1])"),
        ArgSpec("min_signal_remaining", float, default=0.05,
                doc="fraction of the signal always kept after noise subtraction"),
        ArgSpec("precision", str, default="exact", choices=("exact", "relaxed"),
                doc="relaxed: log2 and scaling in f32 with a polynomial log2 instead of the "
                "original's f64 libm one (runec --precision=relaxed)"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(
                f"noise_filtering takes 1 input and gives 1 output, "
                f"not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element != "u32" or len(source.shape) != 2 or source.shape[0] != 1:
            raise ProcBlockError(
                f"noise_filtering takes u32[1, n] (e.g. fft's output), not "
                f"{source.element}[{', '.join(map(str, source.shape))}]")
        if result.element != "i8" or tuple(result.shape) != tuple(source.shape):
            raise ProcBlockError(
                f"noise_filtering gives i8[1, {source.shape[1]}], not "
                f"{result.element}[{', '.join(map(str, result.shape))}]")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        (signal,), (result,) = inputs, outputs
        smoothing_bits = int(args["smoothing_bits"])  # type: ignore[arg-type]
        gain_args = (float(args["strength"]), float(args["offset"]),  # type: ignore[arg-type]
                     int(args["gain_bits"]))  # type: ignore[arg-type]
        # The original builds its table with the default smoothing_bits and rebuilds it with the
        # configured one only when strength, offset or gain_bits differ from their defaults.
        same_gain = all(np.float32(a) == np.float32(d)
                        for a, d in zip(gain_args, DEFAULT_GAIN, strict=True))
        table_bits = DEFAULT_SMOOTHING_BITS if same_gain else smoothing_bits
        y0_values, slope_values = gain_rows(gain_table(*gain_args, table_bits))
        y0 = b.table("gain_y0", y0_values, "i32")
        slopes = b.table("gain_slopes", slope_values, "i32")
        estimate = b.state("estimate", signal.count, "u32")
        relaxed = args["precision"] == "relaxed"
        real = "f32" if relaxed else "f64"
        logs = b.state("logs", signal.count, real)
        energies = b.state("energies", signal.count, "u32")
        weights = (scaled_u16(float(args["even_smoothing"])),  # type: ignore[arg-type]
                   scaled_u16(float(args["odd_smoothing"])))  # type: ignore[arg-type]
        keep = scaled_u16(float(args["min_signal_remaining"]))  # type: ignore[arg-type]
        snr_shift = gain_args[2] - CORRECTION_BITS - PCAN_SNR_BITS

        def energy_of(i: SSAValue) -> None:
            x = b.load(signal, i)
            cleaned, noise = _reduce_noise(b, x, estimate, i, smoothing_bits, weights, keep)
            gain = _wide_dynamic_function(b, noise, y0, slopes)
            b.store(_shrink(b, _gained(b, cleaned, gain, snr_shift)), energies, i)

        in_blocks(b, signal.count, energy_of, ENERGY_BLOCKS)
        # The log2s in a loop of their own: no table loads in it, so LLVM vectorises libm's
        # algorithm (f64x2; f32x4 when relaxed), bit for bit the same.
        def log_of(i: SSAValue) -> None:
            shifted = b.add(b.convert(b.load(energies, i), real), b.constant(1.0, real))
            b.store(log2_relaxed(b, shifted) if relaxed else log2(b, shifted), logs, i)

        in_blocks(b, signal.count, log_of, LOG_BLOCKS)
        _scale_to_i8(b, logs, result)


def _reduce_noise(b: KernelBuilder, x: Scalar, estimate: Buffer, i: SSAValue, smoothing_bits: int,
                  weights: tuple[int, int], keep: int) -> tuple[Scalar, Scalar]:
    """Update estimate[i]; return max(x * keep >> 14, (s - min(est, s)) >> smoothing_bits) and
    the new estimate (as stored), s = x << smoothing_bits.

    The original's u64 arithmetic in u32 lanes (LLVM vectorises the loop four values wide;
    wasm has no unsigned i64x2 compare or min): est = (s * weight >> 14) + old, where
    s * weight >> 14 < 2^32 is split exactly by _times_fraction, and est >= 2^32 (then stored
    wrapped, as the original's `as u32`) shows as a carry out of the u32 sum; then est > s,
    so the noise-subtracted value is 0."""
    def u32(value: int) -> Scalar:
        return b.constant(value, "u32")

    scaled = b.shift_left(x, u32(smoothing_bits))
    odd = b.compare("ne", b.bit_and(b.from_index(i, "u32"), u32(1)), u32(0))
    weight = b.select(odd, u32(weights[1]), u32(weights[0]))
    part = _times_fraction(b, scaled, weight)
    updated = b.add(part, b.load(estimate, i))
    b.store(updated, estimate, i)
    carried = b.compare("lt", updated, part)
    remaining = b.shift_right(b.sub(scaled, b.minimum(updated, scaled)), u32(smoothing_bits))
    subtracted = b.select(carried, u32(0), remaining)
    return b.maximum(_times_fraction(b, x, u32(keep)), subtracted), updated


def _times_fraction(b: KernelBuilder, x: Scalar, weight: Scalar) -> Scalar:
    """floor(x * weight / 2^14) for u32 x and weight <= 2^14, exactly in u32: x = h 2^14 + l
    gives h * weight (< 2^32) + (l * weight >> 14) (< 2^28)."""
    bits = b.constant(NOISE_REDUCTION_BITS, "u32")
    high = b.mul(b.shift_right(x, bits), weight)
    low = b.mul(b.bit_and(x, b.constant((1 << NOISE_REDUCTION_BITS) - 1, "u32")), weight)
    return b.add(high, b.shift_right(low, bits))


#: Rows of the gain tables: one per most significant bit position of a u32 noise estimate x
#: (row r: x's bit length), holding interval r's (y0, a1, a2); rows 0 and 1: table[x], 0, 0.
GAIN_ROWS = 33


def gain_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gain table regrouped by row for two loads per value: y0 as i32, and a1, a2 packed
    as the high and low i16 halves of an i32. Rows 0 and 1 (x = 0, 1) hold table[x] with
    a1 = a2 = 0; x = 2 (row 2, fraction 0) gives row 2's y0 = table[2]; every x >= 3 its
    interval's three entries, as the original's lookup reads them."""
    entries = table.astype(np.int64)
    y0 = np.zeros(GAIN_ROWS, dtype=np.int64)
    slopes = np.zeros(GAIN_ROWS, dtype=np.int64)
    y0[:2] = entries[:2]
    for r in range(2, GAIN_ROWS):
        y0[r], a1, a2 = entries[4 * r - 6: 4 * r - 3]
        slopes[r] = (a1 & 0xFFFF) << 16 | (a2 & 0xFFFF)
    return y0.astype(np.int32), slopes.astype(np.uint32).view(np.int32)


def _wide_dynamic_function(b: KernelBuilder, x: Scalar, y0: Buffer, slopes: Buffer) -> Scalar:
    """The PCAN gain for noise estimate x (u32): the original's i16 result, as i32.

    No branch and no 64-bit lane (LLVM vectorises the loop four values wide, the table loads
    as lane loads): the row (x's bit length, as the original's interval) and the fraction
    (the 10 bits below x's leading one: the original's x << (11 - interval) or
    x >> (interval - 11), masked) are the exponent and the top 10 mantissa bits of x as an
    f32, exact once x >= 2^24 is shifted right by 8 first (the bits it drops are below the
    fraction's). x <= 2 reads rows 0-2 with fraction 0, where the interpolation below is
    y0 + 0: the original's table[x]."""
    def i32(value: int) -> Scalar:
        return b.constant(value, "i32")

    big = b.compare("ge", x, b.constant(1 << 24, "u32"))
    exact = b.convert(b.select(big, b.shift_right(x, b.constant(8, "u32")), x), "i32")
    bits = b.bitcast(b.convert(exact, "f32"), "i32")  # x < 2^24: a signed conversion is exact
    exponent = b.add(b.shift_right(bits, i32(23)), b.select(big, i32(8), i32(0)))
    row = b.to_index(b.maximum(b.sub(exponent, i32(126)), i32(0)))
    frac = b.bit_and(b.shift_right(bits, i32(13)), i32(0x3FF))
    slope = b.load(slopes, row)
    a1 = b.shift_right(slope, i32(16))
    a2 = b.shift_right(b.shift_left(slope, i32(16)), i32(16))
    value = b.shift_right(b.mul(a2, frac), i32(5))
    value = b.add(value, b.shift_left(a1, i32(5)))
    value = b.mul(value, frac)
    value = b.shift_right(b.add(value, i32(1 << 14)), i32(15))
    result = b.add(value, b.load(y0, row))
    return b.convert(b.convert(result, "i16"), "i32")


def _gained(b: KernelBuilder, cleaned: Scalar, gain: Scalar, shift: int) -> Scalar:
    """The original's u32((u64(cleaned) * u64(gain as u32)) >> shift) for an i16 gain (as i32)
    and 0 <= shift < 32, in 32-bit lanes. With cleaned = h 2^16 + l, t = h * gain and
    u = l * gain are exact in i32 (|gain| <= 2^15); floor(cleaned * gain / 2^shift) is
    (t << (16 - shift)) + (u >> shift) up to shift 16, else (t + (u >> 16)) >> (shift - 16)
    (arithmetic shifts: floors). A negative gain is 2^32 + gain as u32: cleaned << (32 - shift)
    more. All modulo 2^32, as the original's truncation."""
    def i32(value: int) -> Scalar:
        return b.constant(value, "i32")

    t = b.mul(b.convert(b.shift_right(cleaned, b.constant(16, "u32")), "i32"), gain)
    u = b.mul(b.convert(b.bit_and(cleaned, b.constant(0xFFFF, "u32")), "i32"), gain)
    if shift <= 16:
        total = b.add(b.shift_left(t, i32(16 - shift)), b.shift_right(u, i32(shift)))
    else:
        total = b.shift_right(b.add(t, b.shift_right(u, i32(16))), i32(shift - 16))
    total = b.convert(total, "u32")
    if shift == 0:
        return total
    wrapped = b.shift_left(cleaned, b.constant(32 - shift, "u32"))
    negative = b.compare("lt", gain, i32(0))
    return b.add(total, b.select(negative, wrapped, b.constant(0, "u32")))


def _shrink(b: KernelBuilder, snr: Scalar) -> Scalar:
    """snr < 2^13 ? snr^2 >> 20 : (snr >> 6) - 64, in wrapping u32."""
    squared = b.shift_right(b.mul(snr, snr),
                            b.constant(2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS, "u32"))
    linear = b.sub(b.shift_right(snr, b.constant(PCAN_SNR_BITS - PCAN_OUTPUT_BITS, "u32")),
                   b.constant(1 << PCAN_OUTPUT_BITS, "u32"))
    return b.select(b.compare("lt", snr, b.constant(2 << PCAN_SNR_BITS, "u32")), squared, linear)


def _scale_to_i8(b: KernelBuilder, logs: Buffer, result: Buffer) -> None:
    """i8(trunc(255 (e - min) / (max - min) - 128)), saturating; all-equal input gives 0. The
    saturation as an i32 one (trunc_sat, then clamped; NaN gives 0 either way): LLVM vectorises
    that, not a saturating conversion straight to i8."""
    real = logs.element
    # log2 of values >= 1: never NaN, never below +0.
    low, high = nonnegative_bounds(b, logs, logs.count)
    span = b.sub(high, low)
    with b.loop(logs.count) as i:
        scaled = b.div(b.mul(b.constant(255.0, real), b.sub(b.load(logs, i), low)), span)
        wide = b.convert(b.sub(scaled, b.constant(128.0, real)), "i32")
        clamped = b.maximum(b.minimum(wide, b.constant(127, "i32")), b.constant(-128, "i32"))
        b.store(b.convert(clamped, "i8"), result, i)
