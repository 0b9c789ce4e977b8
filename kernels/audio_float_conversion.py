"""audio_float_conversion: i16 samples -> f32 in [-1, 1], as (x / 32767) clamped, in f32."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig

I16_MAX_AS_FLOAT = 32767.0


class AudioFloatConversion(ProcBlock):
    name = "audio_float_conversion"
    summary = "i16 audio samples to f32: x / 32767, clamped to [-1, 1] (so -32768 gives -1)"
    arg_specs = (
        ArgSpec("i16_max_as_float", float, default=I16_MAX_AS_FLOAT,
                doc="accepted as the original did, which always divides by 32767 whatever it "
                    "says; so do we"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(
                f"audio_float_conversion takes 1 input and gives 1 output, "
                f"not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element != "i16":
            raise ProcBlockError(
                f"audio_float_conversion takes i16 samples, not {source.element}")
        if result.element != "f32" or tuple(result.shape) != tuple(source.shape):
            shape = ", ".join(map(str, source.shape))
            raise ProcBlockError(
                f"audio_float_conversion gives f32[{shape}], not "
                f"{result.element}[{', '.join(map(str, result.shape))}]")

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        b = builder
        (source,), (result,) = inputs, outputs
        scale = b.constant(I16_MAX_AS_FLOAT, "f32")
        low, high = b.constant(-1.0, "f32"), b.constant(1.0, "f32")
        with b.loop(source.count) as i:
            value = b.div(b.convert(b.load(source, i), "f32"), scale)
            b.store(b.minimum(b.maximum(value, low), high), result, i)
