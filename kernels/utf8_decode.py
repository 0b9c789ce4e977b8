"""utf8_decode: a u8 tensor's bytes, up to the first NUL, as one utf8 string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder
from rune.kernels._text_ops import (
    address_of,
    copy_bytes,
    utf8_string,
    valid_utf8_prefix,
)
from rune.kernels.base import ArgValue, ProcBlock, ProcBlockError, TensorSig


class Utf8Decode(ProcBlock):
    name = "utf8_decode"
    summary = "the bytes before the first NUL as one string (cut at the first ill-formed byte)"

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(f"utf8_decode takes 1 input and gives 1 output, "
                                 f"not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element != "u8":
            raise ProcBlockError(f"utf8_decode takes u8 bytes, not {source.element}")
        if result.element != "utf8" or prod(result.shape) != 1:
            raise ProcBlockError(
                f"utf8_decode gives one string, so its output must be utf8[1], not "
                f"{result.element}[{', '.join(map(str, result.shape))}]"
            )

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        # The string must outlive the input buffer, which the memory plan may hand to a later
        # stage: it points into a copy this kernel owns.
        copy = builder.state("text", max(source.count, 1), "u8")
        copy_bytes(builder, source, copy, source.count)
        length = valid_utf8_prefix(builder, copy, source.count, stop_at_nul=True)
        builder.store(utf8_string(builder, address_of(builder, copy), length), result,
                      builder.index(0))
