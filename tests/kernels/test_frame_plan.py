"""fft's frame plan in plain Python (kernels/_frame_plan.py) against the NumPy f32 computation
it replaced, over many arguments: the same frames, lengths and row bins, or the same error."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rune.kernels._frame_plan import FRAMES, ROWS, FramePlanError, f32, frame_plan


def numpy_plan(samples: int, bins: int, overlap: float):
    """The plan as fft computed it with NumPy's f32 scalars (the code before the port)."""
    overlap32 = np.float32(overlap)
    if not 0.0 <= overlap32 < 1.0:
        return "overlap"
    step = int(np.float32(bins) * (np.float32(1.0) - overlap32))
    if step < 1:
        return "hop"
    padded = step * max(0, -(-(samples - bins) // step))
    padded = padded + bins if padded != samples else samples
    chunks = (padded - bins) // step + 1 if padded >= bins else 0
    if chunks * step == padded:
        chunks -= 1
    ratio = np.float32(np.float32(chunks) / np.float32(FRAMES))
    counter, starts = np.float32(0.0), []
    while counter < np.float32(chunks) and len(starts) < FRAMES:
        starts.append(int(counter) * step)
        counter = np.float32(counter + ratio)
    if len(starts) < FRAMES:
        return "frames"
    fft_size = 2
    while fft_size < bins:
        fft_size *= 2
    frame_starts = np.array(starts, dtype=np.int64)
    half = np.float32(fft_size * 0.5)
    rows = np.arange(ROWS, dtype=np.float32) / np.float32(ROWS)
    return (fft_size, tuple(frame_starts.tolist()),
            tuple(np.minimum(bins, samples - frame_starts).tolist()),
            tuple((rows * half).astype(np.int64).tolist()))


def python_plan(samples: int, bins: int, overlap: float):
    try:
        p = frame_plan(samples, bins, overlap)
    except FramePlanError as exc:
        return next(kind for kind, words in (("overlap", "window_overlap <"), ("hop", "hop of 0"),
                                             ("frames", "frames the")) if words in str(exc))
    return p.fft_size, p.frame_starts, p.frame_lengths, p.row_bins


def _cases() -> list[tuple[int, int, float]]:
    rng = random.Random(15)
    overlaps = [0.0, 0.5, 0.6666667, 2 / 3, 0.75, 0.9, 0.99, 0.999999, 1.0 - 2**-25, 1.0,
                1e-30, 5e-324, -0.0, 1.5, 1e300, float("inf"), float("nan")]
    cases = [(16000, 480, o) for o in overlaps] + [(100, 480, 0.0), (480 * 20, 480, 0.0)]
    for _ in range(600):
        bins = rng.choice([1, 2, 3, 64, 255, 256, 480, 512, 1000, rng.randint(1, 4096)])
        samples = rng.choice([bins * 49, 16000, 8000, rng.randint(1, 200_000),
                              rng.randint(1, bins * 60)])
        overlap = rng.choice([rng.random(), rng.uniform(0.9, 1.0), round(rng.random(), 3),
                              rng.choice(overlaps)])
        cases.append((samples, bins, overlap))
    return cases


def test_the_plan_is_the_numpy_f32_plan_for_many_arguments():
    outcomes = set()
    with np.errstate(all="ignore"):
        for samples, bins, overlap in _cases():
            expected = numpy_plan(samples, bins, overlap)
            assert python_plan(samples, bins, overlap) == expected, (samples, bins, overlap)
            outcomes.add(expected if isinstance(expected, str) else "plan")
    assert outcomes == {"plan", "overlap", "hop", "frames"}  # every path was taken


@pytest.mark.parametrize("value", [0.1, 2 / 3, 1 / 241, 16000 / 49, 3.4028235e38, 1e39, -1e39,
                                   2**-149, 2**-150, 1 + 2**-24, 1 + 3 * 2**-24])
def test_f32_rounds_as_numpy(value: float):
    with np.errstate(all="ignore"):
        assert f32(value) == float(np.float32(value))
