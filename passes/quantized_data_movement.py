"""Two rewrites that keep a compiled model's data movement in its quantised type.

TFLite models (and a pipeline of two models) often leave the integer domain only to move data:
DEQUANTIZE -> MIRROR_PAD -> QUANTIZE back to the same scale, or a float pre-processing result
padded and then quantised by the model's first operator. The float tensors in between are four
times the bytes of the integer ones. Both rewrites are exact, for every input:

- Data movement (RESHAPE, PAD, MIRROR_PAD, STRIDED_SLICE, RESIZE_NEAREST_NEIGHBOR) copies
  elements (or fills padding with real 0) and so commutes with any element-wise map that keeps
  0 at the zero point: QUANTIZE(0.0) is the zero point, which our PAD kernel fills on integers.
- QUANTIZE(DEQUANTIZE(q)) is q when both use the same scale s, zero point and integer type:
  DEQUANTIZE gives r = fl32(s * k), k = q - zero point (TFLite multiplies in double and rounds
  once to float; the product of a float and an 8- or 16-bit integer is exact in double), and
  QUANTIZE computes round(fl32(r / s)) = round(k (1 + e1)(1 + e2)), |e| <= 2^-24, so within
  |k| 2^-23 < 0.5 of k for |k| < 2^22: it rounds back to k, and k + zero point is q, in range.

`fold-dequantize-quantize` removes QUANTIZE(gathers(DEQUANTIZE(q))) with the same parameters,
leaving the gathers on q. `quantize-before-data-movement` moves a QUANTIZE above a float
gather that does not shrink its input (so it quantises no more elements than before).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from rune.ir import tfl
from rune.ir.dialect import tensor_sig, tensor_type
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

#: Operators whose output elements are copies of input elements (or padding, real 0).
DATA_MOVEMENT = ("RESHAPE", "PAD", "MIRROR_PAD", "STRIDED_SLICE", "RESIZE_NEAREST_NEIGHBOR")


def _moves_data(op: object) -> bool:
    """A one-operand data-movement op whose result has one reader."""
    return (tfl.is_operator(op, *DATA_MOVEMENT)
            and len(op.inputs) == 1 and op.slot_value(0) is op.inputs[0]
            and len(op.outputs) == 1 and len(list(op.outputs[0].uses)) == 1)


def _per_tensor(quant: tfl.QuantAttr | None) -> tuple[list[float], list[int]] | None:
    if quant is None or len(quant.scales) != 1:
        return None
    return quant.scales, quant.zero_points


def _retyped(op: tfl.TflOp, operand: SSAValue, element: str,
             quant: tfl.QuantAttr | None) -> tfl.TflOp:
    """`op` on `operand`, producing `element` with `quant` on its data input and output."""
    properties = dict(op.properties)
    entries = list(op.quant.data)
    entries[0] = entries[op.slot_count()] = quant
    properties["quant"] = ArrayAttr(entries)
    _, shape = tensor_sig(op.outputs[0].type)
    return type(op).create(operands=[operand], result_types=[tensor_type(element, shape)],
                           properties=properties, attributes=dict(op.attributes))


class FoldDequantizeQuantize(RewritePattern):
    """QUANTIZE(moves(DEQUANTIZE(q))) -> moves(q) when the quantisation is the same."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tfl.TflOp, rewriter: PatternRewriter) -> None:
        if not tfl.is_operator(op, "QUANTIZE"):
            return
        chain: list[tfl.TflOp] = []  # from the QUANTIZE upwards
        value = op.inputs[0]
        while _moves_data(value.owner):
            chain.append(value.owner)  # type: ignore[arg-type]
            value = value.owner.inputs[0]  # type: ignore[union-attr]
        dequantize = value.owner
        if not tfl.is_operator(dequantize, "DEQUANTIZE"):
            return
        assert isinstance(dequantize, tfl.TflOp)
        source = dequantize.inputs[0]
        element = tensor_sig(source.type)[0]
        params = _per_tensor(dequantize.quant_of(0))
        if (params is None or params != _per_tensor(op.output_quant())
                or element != tensor_sig(op.outputs[0].type)[0]):
            return
        for mover in reversed(chain):
            new = _retyped(mover, source, element, dequantize.quant_of(0))
            rewriter.insert(new, InsertPoint.before(mover))
            source = new.outputs[0]
        rewriter.replace(op, [], [source])
        for mover in chain:
            rewriter.erase(mover)
        if not dequantize.outputs[0].uses:
            rewriter.erase(dequantize)


class QuantizeBeforeDataMovement(RewritePattern):
    """QUANTIZE(move(x)) -> move(QUANTIZE(x)) when the move does not shrink x."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tfl.TflOp, rewriter: PatternRewriter) -> None:
        mover = op.inputs[0].owner if tfl.is_operator(op, "QUANTIZE") else None
        if not _moves_data(mover) or _per_tensor(op.output_quant()) is None:
            return
        assert isinstance(mover, tfl.TflOp)
        source = mover.inputs[0]
        element, out_shape = tensor_sig(op.outputs[0].type)
        real, in_shape = tensor_sig(source.type)
        if real != "f32" or prod(in_shape) > prod(out_shape):
            return
        quantize = type(op).create(operands=[source],
                                   result_types=[tensor_type(element, in_shape)],
                                   properties=dict(op.properties),
                                   attributes=dict(op.attributes))
        moved = _retyped(mover, quantize.outputs[0], element, op.output_quant())
        rewriter.insert([quantize, moved], InsertPoint.before(mover))
        rewriter.replace(op, [], [moved.outputs[0]])
        rewriter.erase(mover)


@dataclass(frozen=True)
class FoldDequantizeQuantizePass(ModulePass):
    """Remove DEQUANTIZE -> data movement -> QUANTIZE round trips to the same quantisation."""

    name = "fold-dequantize-quantize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldDequantizeQuantize()).rewrite_module(op)


@dataclass(frozen=True)
class QuantizeBeforeDataMovementPass(ModulePass):
    """Quantise before padding, reshaping or resizing, so the data moves as integers."""

    name = "quantize-before-data-movement"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(QuantizeBeforeDataMovement()).rewrite_module(op)
