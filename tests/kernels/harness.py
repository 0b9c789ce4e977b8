"""Compile one proc block into a rune (RAW in → kernel → serial out) and run it as wasm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_module, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

DTYPES = {
    "u8": np.uint8, "i8": np.int8, "u16": np.uint16, "i16": np.int16, "u32": np.uint32,
    "i32": np.int32, "u64": np.uint64, "i64": np.int64, "f32": np.float32, "f64": np.float64,
}


def kernel_module(kernel: str, args: Mapping, element: str, shape: Sequence[int],
                  out_element: str | None = None, out_shape: Sequence[int] | None = None
                  ) -> ModuleOp:
    block = Block()
    source = rd.CapabilityOp("x", "RAW", DictionaryAttr({}), rd.tensor_type(element, shape))
    result = rd.ProcBlockOp(
        "k", kernel, DictionaryAttr({k: to_attr(v) for k, v in args.items()}), [source.output],
        [rd.tensor_type(out_element or element, out_shape or shape)],
    )
    block.add_ops([source, result, rd.OutputOp("y", "serial", DictionaryAttr({}),
                                               list(result.results))])
    return ModuleOp([rd.PipelineOp("kernel_test", "runicos/base", Region(block))])


def compile_kernel(kernel: str, args: Mapping, element: str, shape: Sequence[int],
                   opt_level: str = "2", **out) -> Rune:
    module = kernel_module(kernel, args, element, shape, **out)
    options = CompileOptions(opt_level=opt_level)
    run_passes(module, options)
    return Rune.load(compile_module(module, "rune", options))


def run_kernel(rune: Rune, values: np.ndarray) -> np.ndarray:
    (output,) = rune.run({"x": values})
    return output.tensors[0].data
