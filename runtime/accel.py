"""The ACCEL capability's input: a headerless CSV of x,y,z accelerometer samples.

As the original read it: blank lines are skipped, every other line has exactly three
comma-separated numbers (spaces around them allowed), each parsed as f32; rows are samples in
file order.
"""

from __future__ import annotations

import numpy as np


class CsvError(ValueError):
    """The text is not an x,y,z CSV; the message names the line."""


def read_csv(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Parse the CSV into an (n, 3) float32 array."""
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvError(f"not a text file ({exc.reason} at byte {exc.start})") from None
    rows: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 3:
            raise CsvError(f"line {number}: expected 3 columns (x,y,z), found {len(fields)}")
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            bad = next(f for f in fields if not _is_number(f))
            raise CsvError(f"line {number}: {bad!r} is not a number") from None
    if not rows:
        raise CsvError("no samples (the file has no x,y,z rows)")
    return np.array(rows, dtype=np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
