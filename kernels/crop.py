"""crop: cut a rectangle out of an NHWC (or HWC) image, as `tf.image.crop_to_bounding_box`.

Offsets and size are compile-time arguments, so the rectangle is checked against the image
here and the kernel is a bounds-free copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels._modern_ops import NUMERIC, check_arity, check_element, describe
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    return (shape[0], *shape[1:]) if len(shape) == 4 else (1, *shape)  # type: ignore[return-value]


class Crop(ProcBlock):
    name = "crop"
    accepts_fused_inputs = True  # reads its input only through builder.load
    reads_inputs_once = True
    summary = "the target_height x target_width window at (offset_height, offset_width)"
    origin = "new in this compiler (tf.image.crop_to_bounding_box)"
    arg_specs = (
        ArgSpec("offset_height", int, default=0, minimum=0, doc="first row kept"),
        ArgSpec("offset_width", int, default=0, minimum=0, doc="first column kept"),
        ArgSpec("target_height", int, minimum=1, doc="rows kept"),
        ArgSpec("target_width", int, minimum=1, doc="columns kept"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        check_arity(self.name, inputs, outputs, 1, 1)
        (source,), (result,) = inputs, outputs
        check_element(self.name, "input", source, NUMERIC)
        if len(source.shape) not in (3, 4):
            raise ProcBlockError(f"crop takes an NHWC or HWC image, not {describe(source)}")
        batch, height, width, channels = _nhwc(source.shape)
        top, left = int(args["offset_height"]), int(args["offset_width"])  # type: ignore[arg-type]
        rows, cols = int(args["target_height"]), int(args["target_width"])  # type: ignore[arg-type]
        if top + rows > height:
            raise ProcBlockError(
                f"crop rows {top}..{top + rows - 1} (offset_height {top} + target_height "
                f"{rows}) fall outside the image's {height} rows")
        if left + cols > width:
            raise ProcBlockError(
                f"crop columns {left}..{left + cols - 1} (offset_width {left} + target_width "
                f"{cols}) fall outside the image's {width} columns")
        wanted = (batch, rows, cols, channels) if len(source.shape) == 4 else (rows, cols,
                                                                                 channels)
        if result != TensorSig(source.element, wanted):
            raise ProcBlockError(
                f"crop's output must be {describe(TensorSig(source.element, wanted))}, "
                f"not {describe(result)}")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer],
              outputs: Sequence[Buffer], args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        b = builder
        batch, height, width, channels = _nhwc(source.shape)
        top, left = int(args["offset_height"]), int(args["offset_width"])  # type: ignore[arg-type]
        rows, cols = int(args["target_height"]), int(args["target_width"])  # type: ignore[arg-type]
        row_items = cols * channels  # one cropped row is contiguous in the source
        with b.loop(batch) as n, b.loop(rows) as y:
            src_row = b.mul_index(b.add_index(b.add_index(b.mul_index(n, height), y), top),
                                  width * channels)
            src_row = b.add_index(src_row, left * channels)
            dst_row = b.mul_index(b.add_index(b.mul_index(n, rows), y), row_items)
            with b.loop(row_items) as k:
                b.store(b.load(source, b.add_index(src_row, k)), result, b.add_index(dst_row, k))
