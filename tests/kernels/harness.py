"""Compile one proc block into a rune (RAW inputs → kernel → serial output) and run it as wasm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.ir.kernel_builder import NUMPY_TYPES
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_module, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

DTYPES = {name: getattr(np, dtype) for name, dtype in NUMPY_TYPES.items() if name != "utf8"}
TensorDecl = tuple[str, Sequence[int]]  # (element type, shape)


def pipeline_module(kernel: str, args: Mapping, inputs: Sequence[TensorDecl],
                    outputs: Sequence[TensorDecl]) -> ModuleOp:
    """RAW capabilities x0, x1, ... feed the kernel; one serial output takes all its results."""
    block = Block()
    sources = [
        rd.CapabilityOp(f"x{i}", "RAW", DictionaryAttr({}), rd.tensor_type(element, shape))
        for i, (element, shape) in enumerate(inputs)
    ]
    block.add_ops(sources)
    stage = rd.ProcBlockOp(
        "k", kernel, DictionaryAttr({k: to_attr(v) for k, v in args.items()}),
        [s.output for s in sources], [rd.tensor_type(e, s) for e, s in outputs],
    )
    block.add_ops([stage, rd.OutputOp("y", "serial", DictionaryAttr({}), list(stage.results))])
    return ModuleOp([rd.PipelineOp("kernel_test", "runicos/base", Region(block))])


def kernel_module(kernel: str, args: Mapping, element: str, shape: Sequence[int],
                  out_element: str | None = None, out_shape: Sequence[int] | None = None
                  ) -> ModuleOp:
    """The common case: one input, one output (by default of the same type)."""
    return pipeline_module(kernel, args, [(element, shape)],
                           [(out_element or element, out_shape or shape)])


def compile_module_to_rune(module: ModuleOp, opt_level: str | None = None) -> Rune:
    options = CompileOptions(opt_level=opt_level)
    run_passes(module, options)
    return Rune.load(compile_module(module, "rune", options))


def compile_kernel(kernel: str, args: Mapping, element: str, shape: Sequence[int],
                   opt_level: str | None = None, **out) -> Rune:
    return compile_module_to_rune(kernel_module(kernel, args, element, shape, **out), opt_level)


def compile_pipeline(kernel: str, args: Mapping, inputs: Sequence[TensorDecl],
                     outputs: Sequence[TensorDecl], opt_level: str | None = None) -> Rune:
    return compile_module_to_rune(pipeline_module(kernel, args, inputs, outputs), opt_level)


def run_kernel(rune: Rune, *values: np.ndarray):
    """The kernel's outputs for these inputs: one array (or list of strings), or a list of them
    when the kernel has several outputs."""
    (output,) = rune.run({f"x{i}": v for i, v in enumerate(values)})
    results = [t.data for t in output.tensors]
    return results[0] if len(results) == 1 else results
