"""resize: scale an NHWC (or HWC) image to the output's height and width, as TensorFlow's
`tf.image.resize` does by default (half-pixel centres, no align_corners, no antialiasing).

Shapes are static, so the source rows and columns and the interpolation weights of every output
row and column are computed here, in f32 exactly as TensorFlow computes them, and baked into the
rune as tables; the kernel only gathers and interpolates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels._modern_ops import (
    NUMERIC,
    check_arity,
    check_element,
    describe,
    load_at,
)
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig


def _scale(in_size: int, out_size: int) -> np.float32:
    return np.float32(in_size) / np.float32(out_size)


def bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, lerp) per output position: source = (i + 0.5) * scale - 0.5 in f32."""
    i = np.arange(out_size, dtype=np.float32)
    source = (i + np.float32(0.5)) * _scale(in_size, out_size) - np.float32(0.5)
    floor = np.floor(source)
    lower = np.maximum(floor, 0).astype(np.int32)
    upper = np.minimum(np.ceil(source), in_size - 1).astype(np.int32)
    return lower, upper, (source - floor).astype(np.float32)


def nearest_taps(in_size: int, out_size: int) -> np.ndarray:
    """Source position per output position: floor((i + 0.5) * scale) in f32, clamped."""
    i = np.arange(out_size, dtype=np.float32)
    source = np.floor((i + np.float32(0.5)) * _scale(in_size, out_size))
    return np.clip(source, 0, in_size - 1).astype(np.int32)


def _hw(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(batch, height, width, channels) of an NHWC or HWC shape."""
    return (shape[0], *shape[1:]) if len(shape) == 4 else (1, *shape)  # type: ignore[return-value]


class Resize(ProcBlock):
    name = "resize"
    accepts_fused_inputs = True  # reads its input only through builder.load
    summary = ("resize NHWC/HWC images to the output's height and width (tf.image.resize: "
               "half-pixel centres; bilinear gives f32, nearest keeps the element type)")
    origin = "new in this compiler (tf.image.resize defaults)"
    arg_specs = (ArgSpec("method", str, default="bilinear", choices=("bilinear", "nearest"),
                         doc="interpolation: bilinear (output f32) or nearest"),)

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        check_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        check_element(self.name, "input", source, NUMERIC)
        if len(source.shape) not in (3, 4):
            raise ProcBlockError(
                f"resize takes an NHWC or HWC image, not {describe(source)}")
        if len(result.shape) != len(source.shape) or (
                _hw(result.shape)[::3] != _hw(source.shape)[::3]):
            raise ProcBlockError(
                f"resize changes only height and width, so for input {describe(source)} its "
                f"output must have the same rank, batch and channels, not {describe(result)}")
        if 0 in result.shape or 0 in source.shape:
            raise ProcBlockError("resize needs non-empty images")
        wanted = "f32" if args["method"] == "bilinear" else source.element
        if result.element != wanted:
            raise ProcBlockError(
                f"{args['method']} resize of {source.element} gives {wanted}, "
                f"not {result.element}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer],
              outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        if args["method"] == "nearest":
            self._nearest(builder, source, result)
        else:
            self._bilinear(builder, source, result)

    def _nearest(self, b: KernelBuilder, source: Buffer, result: Buffer) -> None:
        batch, in_h, in_w, channels = _hw(source.shape)
        _, out_h, out_w, _ = _hw(result.shape)
        # Row and column tables hold element offsets, so the body only adds.
        rows = b.table("rows", nearest_taps(in_h, out_h) * in_w * channels, "i32")
        cols = b.table("cols", nearest_taps(in_w, out_w) * channels, "i32")
        with b.loop(batch) as n, b.loop(out_h) as y, b.loop(out_w) as x:
            base = b.add(b.add(b.from_index(b.mul_index(n, in_h * in_w * channels)),
                               b.load(rows, y)), b.load(cols, x))
            out_base = b.mul_index(b.add_index(b.mul_index(b.add_index(
                b.mul_index(n, out_h), y), out_w), x), channels)
            with b.loop(channels) as c:
                value = load_at(b, source, b.add(base, b.from_index(c)))
                b.store(value, result, b.add_index(out_base, c))

    def _bilinear(self, b: KernelBuilder, source: Buffer, result: Buffer) -> None:
        batch, in_h, in_w, channels = _hw(source.shape)
        _, out_h, out_w, _ = _hw(result.shape)
        y_low, y_high, y_lerp = bilinear_taps(in_h, out_h)
        x_low, x_high, x_lerp = bilinear_taps(in_w, out_w)
        tables = {
            "y_low": b.table("y_low", y_low * in_w * channels, "i32"),
            "y_high": b.table("y_high", y_high * in_w * channels, "i32"),
            "y_lerp": b.table("y_lerp", y_lerp, "f32"),
            "x_low": b.table("x_low", x_low * channels, "i32"),
            "x_high": b.table("x_high", x_high * channels, "i32"),
            "x_lerp": b.table("x_lerp", x_lerp, "f32"),
        }
        with b.loop(batch) as n, b.loop(out_h) as y, b.loop(out_w) as x:
            image = b.from_index(b.mul_index(n, in_h * in_w * channels))
            top = b.add(image, b.load(tables["y_low"], y))
            bottom = b.add(image, b.load(tables["y_high"], y))
            left, right = b.load(tables["x_low"], x), b.load(tables["x_high"], x)
            dy, dx = b.load(tables["y_lerp"], y), b.load(tables["x_lerp"], x)
            out_base = b.mul_index(b.add_index(b.mul_index(b.add_index(
                b.mul_index(n, out_h), y), out_w), x), channels)
            with b.loop(channels) as c:
                ch = b.from_index(c)

                def pixel(row, col):
                    return b.convert(load_at(b, source, b.add(b.add(row, col), ch)), "f32")

                top_left, top_right = pixel(top, left), pixel(top, right)
                bottom_left, bottom_right = pixel(bottom, left), pixel(bottom, right)
                # TensorFlow's compute_lerp, in this order, in f32.
                upper = b.add(top_left, b.mul(b.sub(top_right, top_left), dx))
                lower = b.add(bottom_left, b.mul(b.sub(bottom_right, bottom_left), dx))
                b.store(b.add(upper, b.mul(b.sub(lower, upper), dy)), result,
                        b.add_index(out_base, c))
