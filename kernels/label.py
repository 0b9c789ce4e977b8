"""label: each index becomes the wordlist line it names (a utf8 string)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from rune.kernels._text_ops import address_of, both, utf8_string
from rune.kernels.base import ArgSpec, ArgValue, ProcBlock, ProcBlockError, TensorSig
from xdsl.ir import SSAValue

INDEX_TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32")


def _checked_index(b: KernelBuilder, value: Scalar, count: Scalar) -> tuple[SSAValue, Scalar]:
    """(in range, index as u32): an integer in [0, count), or for f32 a whole number in that
    range (NaN, infinities, fractions and negatives are out of range, as in the original).
    `count` is a u32."""
    if value.element == "f32":
        wide = b.convert(value, "f64")
        whole = b.compare("eq", b.floor(wide), wide)
        valid = both(b, b.compare("ge", wide, b.constant(0.0, "f64")), whole,
                     b.compare("lt", wide, b.convert(count, "f64")))
        safe = b.select(valid, wide, b.constant(0.0, "f64"))
        return valid, b.convert(safe, "u32")
    wide = b.convert(value, "u64" if value.is_unsigned else "i64")
    valid = b.compare("lt", wide, b.convert(count, wide.element))
    if not value.is_unsigned:
        valid = both(b, valid, b.compare("ge", wide, b.constant(0, "i64")))
    return valid, b.convert(wide, "u32")


class Label(ProcBlock):
    name = "label"
    summary = "the wordlist line each index names; `<MISSING>` for an index out of range"
    accepts_fused_inputs = True  # each index is loaded once
    arg_specs = (
        ArgSpec("wordlist", str, doc="the labels, one a line (the text is trimmed first)"),
    )

    def check(self, inputs: Sequence[TensorSig], outputs: Sequence[TensorSig],
              args: Mapping[str, ArgValue]) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(f"label takes 1 input and gives 1 output, "
                                 f"not {len(inputs)} and {len(outputs)}")
        (source,), (result,) = inputs, outputs
        if source.element not in INDEX_TYPES:
            raise ProcBlockError(f"label takes indices of type {', '.join(INDEX_TYPES)}, "
                                 f"not {source.element}")
        if result.element != "utf8":
            raise ProcBlockError(f"label gives utf8 strings, so its output must be utf8, "
                                 f"not {result.element}")
        if prod(result.shape) != prod(source.shape):
            raise ProcBlockError(
                f"label gives one string per index: {prod(source.shape)} indices need a utf8 "
                f"output of {prod(source.shape)} elements (e.g. utf8[{prod(source.shape)}]), "
                f"not {prod(result.shape)}"
            )

    def build(self, builder: KernelBuilder, inputs: Sequence[Buffer], outputs: Sequence[Buffer],
              args: Mapping[str, ArgValue]) -> None:
        (source,), (result,) = inputs, outputs
        # The wordlist is data (ir/data_args.py): the code does not depend on it, not even on
        # how many labels there are (a table of its own; row `count` is `<MISSING>`).
        text = builder.data_table("labels", "u8", 0)
        start_table = builder.data_table("label_starts", "u32", 0)
        length_table = builder.data_table("label_lengths", "u32", 0)
        count_table = builder.data_table("label_count", "u32", 1)
        base = address_of(builder, text)
        count = missing = builder.load(count_table, builder.index(0))
        with builder.loop(source.count) as i:
            valid, index = _checked_index(builder, builder.load(source, i), count)
            row = builder.to_index(builder.select(valid, index, missing))
            start = Scalar(builder.load(start_table, row).value, "i32")
            length = Scalar(builder.load(length_table, row).value, "i32")
            builder.store(utf8_string(builder, builder.add(base, start), length), result, i)
