"""fold-affine: constants fold at compile time; results stay within the documented bound."""

from __future__ import annotations

import numpy as np
from rune.ir import dialect as rd
from rune.ir.attr_values import to_attr
from rune.tools.compiler import CompileOptions, run_passes
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Region

from tests.kernels.harness import compile_module_to_rune, run_kernel

N = 4096
CHAIN = [("affine", {"scale": 1 / 255, "offset": 0.0}),
         ("standardize", {"mean": 0.485, "std": 0.229}),
         ("affine", {"scale": 2.0, "offset": -1.0})]


def _chain_module() -> ModuleOp:
    block = Block()
    source = rd.CapabilityOp("x0", "RAW", DictionaryAttr({}), rd.tensor_type("f32", [N]))
    block.add_op(source)
    value = source.output
    for i, (kernel, args) in enumerate(CHAIN):
        op = rd.ProcBlockOp(f"s{i}", kernel, DictionaryAttr({k: to_attr(v) for k, v in
                                                            args.items()}),
                            [value], [rd.tensor_type("f32", [N])])
        block.add_op(op)
        value = op.outputs[0]
    block.add_op(rd.OutputOp("y", "serial", DictionaryAttr({}), [value]))
    return ModuleOp([rd.PipelineOp("chain", "img", Region(block))])


def test_chain_folds_into_one_affine_stage():
    module = _chain_module()
    run_passes(module, CompileOptions(passes="fold-affine"))
    (pipeline,) = module.ops
    kernels = [op.kernel.data for op in pipeline.body.ops if isinstance(op, rd.ProcBlockOp)]
    assert kernels == ["affine"]
    scale = 1 / 255 / 0.229 * 2.0
    offset = -0.485 / 0.229 * 2.0 - 1.0
    (stage,) = [op for op in pipeline.body.ops if isinstance(op, rd.ProcBlockOp)]
    assert stage.args.data["scale"].value.data == scale
    assert stage.args.data["offset"].value.data == offset


def test_folded_result_within_two_ulp_of_the_largest_term():
    x = np.random.default_rng(3).uniform(0, 255, N).astype(np.float32)
    folded = run_kernel(compile_module_to_rune(_chain_module(), "2"), x)
    unfolded = run_kernel(compile_module_to_rune(_chain_module(), "0"), x)
    # The largest term of the folded map: |x s1 s2 s3| + |o2 s3| + |o3| (o1 is 0).
    magnitude = np.abs(x.astype(np.float64) / 255 / 0.229 * 2.0) + 0.485 / 0.229 * 2.0 + 1.0
    bound = 2 * np.spacing(magnitude.astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(folded.astype(np.float64) - unfolded) <= bound)
