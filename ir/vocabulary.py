"""The rune dialect's vocabulary as plain data: capability, model and output kinds, element sizes.

Kept free of xDSL so that the frontend's checks (and so a compile-cache hit in `runec`) can use
them without importing the IR framework; `rune.ir.dialect` re-exports them for its verifiers.
"""

from __future__ import annotations

CAPABILITY_KINDS = ("RAW", "RAND", "SOUND", "IMAGE", "FLOAT_IMAGE", "ACCEL")
MODEL_FORMATS = ("tensorflow-lite", "tensorflow", "tensorflow-js", "onnx")
OUTPUT_KINDS = ("serial",)
# Capability arguments that are counts (the host reads them as non-negative integers; a Runefile
# may write them as numbers or digit strings).
CAPABILITY_COUNT_ARGS = ("length", "hz", "frequency", "sample_duration_ms", "width", "height",
                         "samples", "source")


def element_bytes(element: str) -> int:
    """Bytes per element in memory; a utf8 element is a (ptr, len) pair of u32."""
    return 8 if element == "utf8" else int(element[1:]) // 8
