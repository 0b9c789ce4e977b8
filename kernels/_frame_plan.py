"""The original fft's frame plan in plain Python: which samples each of the 49 frames takes,
and which FFT bin each of the 241 spectrogram rows reads.

The original (sonogram + mel crates) computed the hop, its frame counter and the row positions
in f32; here each f32 operation is one double operation rounded to f32 (`f32`), which gives the
f32 result exactly (a double carries more than twice f32's precision, so rounding twice equals
rounding once for +, -, * and /). Free of NumPy, so that `fft`'s argument check (run by every
compile that names it) does not import it; tests/kernels/test_frame_plan.py compares it with the
NumPy f32 computation over many arguments.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

FRAMES = 49    # spectrogram width, fixed in the original
ROWS = 241     # spectrogram height, fixed in the original


class FramePlanError(ValueError):
    """Arguments the original could not frame audio with."""


def f32(value: float) -> float:
    """`value` rounded to the nearest f32 (ties to even), as a Python float; past f32's range,
    an infinity, as the f32 arithmetic gives."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


@dataclass(frozen=True)
class FramePlan:
    """Everything the kernel needs that the arguments and input length decide."""

    fft_size: int
    frame_starts: tuple[int, ...]   # first sample of each of the 49 frames
    frame_lengths: tuple[int, ...]  # samples of each frame from the input (the rest are 0)
    row_bins: tuple[int, ...]       # FFT bin behind each of the 241 spectrogram rows


def frame_plan(samples: int, bins: int, overlap: float) -> FramePlan:
    """Frame the input as the original did, or say why its arguments cannot work."""
    overlap32 = f32(overlap)
    if not 0.0 <= overlap32 < 1.0:
        raise FramePlanError(f"fft needs 0 <= window_overlap < 1, got {overlap}")
    step = int(f32(f32(bins) * f32(1.0 - overlap32)))
    if step < 1:
        raise FramePlanError(
            f"fft: bins={bins} with window_overlap={overlap} gives a hop of 0 samples")
    # The original's two stepping loops in closed form: O(1) for any input length.
    padded = step * max(0, -(-(samples - bins) // step))  # first hop with padded + bins >= samples
    padded = padded + bins if padded != samples else samples
    chunks = (padded - bins) // step + 1 if padded >= bins else 0
    if chunks * step == padded:
        chunks -= 1
    # The original advanced an f32 counter by chunks/49 and took one frame per step.
    limit = f32(chunks)
    ratio = f32(limit / FRAMES)
    counter, starts = 0.0, []
    while counter < limit and len(starts) < FRAMES:
        starts.append(int(counter) * step)
        counter = f32(counter + ratio)
    if len(starts) < FRAMES:
        raise FramePlanError(
            f"fft: {samples} samples with bins={bins} give only {len(starts)} of the "
            f"{FRAMES} frames the spectrogram needs")
    fft_size = 2
    while fft_size < bins:
        fft_size *= 2
    half = f32(fft_size * 0.5)
    return FramePlan(
        fft_size,
        tuple(starts),
        tuple(min(bins, samples - start) for start in starts),
        tuple(int(f32(f32(row / ROWS) * half)) for row in range(ROWS)),
    )
