"""lower-tfl-to-loops: each `tfl` stage becomes a kernel function of loops and a `rune.call`.

The kernels follow LiteRT's reference kernels (tensorflow/lite/kernels/internal/reference/ and
reference/integer_ops/): integer operators with TFLite's exact arithmetic (ir/tfl_fixed_point),
float operators in the reference order of summation. Weights, biases and per-channel
multipliers become read-only tables in the rune's data segment. An op without a kernel here is
an error naming the operator and the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rune.frontend.tflite_import import model_stage_of
from rune.ir import dialect as rd
from rune.ir import tfl
from rune.ir.dialect import tensor_sig
from rune.ir.kernel_builder import kernel_function
from rune.kernels.tfl import conv_float, elementwise, layout, ops, pad
from rune.kernels.tfl.ops import KernelError
from rune.passes.common import StageError, fused_chains, fused_steps, input_sigs
from rune.passes.conversions.func_to_llvm import NOINLINE_ATTR
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.passes import ModulePass

#: TFLite operator -> kernel builder; the operators that lower (tfl.OPERATORS is what imports).
KERNELS = {**ops.KERNELS, **conv_float.KERNELS, **layout.KERNELS, **pad.KERNELS,
           **elementwise.KERNELS}


@dataclass(frozen=True)
class LowerTflToLoopsPass(ModulePass):
    """Replace every tfl stage by a call of a kernel function built from it."""

    name = "lower-tfl-to-loops"

    simd: bool = False  # the target has wasm SIMD128 (kernels may use `simd` ops)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for pipeline in list(op.ops):
            if not isinstance(pipeline, rd.PipelineOp):
                continue
            block = pipeline.body.block
            number = 0
            for stage in list(block.ops):
                if not isinstance(stage, tfl.TflOp):
                    continue
                kernel, globals_ = _kernel(stage, number, self.simd)
                number += 1
                for new in (*globals_, kernel):
                    op.body.block.insert_op_before(new, pipeline)
                call = rd.KernelCallOp(stage.stage_name, kernel.sym_name.data,
                                       list(stage.inputs), [r.type for r in stage.results])
                block.insert_op_before(call, stage)
                for old, new in zip(stage.results, call.results, strict=True):
                    old.replace_all_uses_with(new)
                block.erase_op(stage)


def _kernel(stage: tfl.TflOp, number: int, simd: bool):
    build: Callable | None = KERNELS.get(stage.SPEC.tflite)
    model = model_stage_of(stage.stage_name)
    if build is None:
        raise StageError(model, f"model {model!r}: operator {stage.SPEC.tflite} "
                         f"({stage.stage_name}) has no compiled kernel yet; run the model "
                         "with `run: handler`")
    # an input with steps fused into its loads (fuse-elementwise-into-model-inputs) is seen as
    # the chain's result
    sigs = input_sigs(stage) + [tensor_sig(v.type) for v in stage.outputs]
    n_in = len(stage.inputs)
    name = f"tfl.{number}.{stage.SPEC.tflite.lower()}"

    def body(builder, buffers):
        try:
            build(builder, stage, buffers[:n_in], buffers[n_in:])
        except KernelError as exc:
            raise StageError(model, f"model {model!r}: operator {stage.SPEC.tflite} "
                             f"({stage.stage_name}): {exc}") from None

    kernel, globals_ = kernel_function(name, sigs, body,
                                       [fused_steps(c) for c in fused_chains(stage)], simd=simd)
    kernel.attributes[NOINLINE_ATTR] = UnitAttr()  # one function per layer for LLVM
    return kernel, globals_
