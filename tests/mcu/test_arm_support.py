"""backend_wasm.support.prepare_for_arm: the rewrites native ARM code needs before LLVM.

The f64 min/max replacement must keep llvm.maximum/minimum's meaning exactly (NaN propagates,
-0 < +0). It is checked here by running the rewritten IR on the host with llvmlite's JIT.
"""

from __future__ import annotations

import ctypes
import math

import llvmlite.binding as llvm
import llvmlite.ir as ir
import pytest
from rune.backend_wasm.support import expand_soft_double_min_max, prepare_for_arm

F64 = ir.DoubleType()
CASES = [(1.0, 2.0), (2.0, 1.0), (-3.5, -3.5), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0),
         (math.nan, 1.0), (1.0, math.nan), (math.inf, -math.inf), (-1e308, 5e-324)]


def _module(intrinsic: str) -> ir.Module:
    module = ir.Module()
    declared = ir.Function(module, ir.FunctionType(F64, [F64, F64]), name=intrinsic)
    fn = ir.Function(module, ir.FunctionType(F64, [F64, F64]), name="f")
    builder = ir.IRBuilder(fn.append_basic_block())
    builder.ret(builder.call(declared, fn.args))
    return module


def _jit(module: ir.Module):
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    parsed = llvm.parse_assembly(str(module))
    parsed.verify()
    machine = llvm.Target.from_default_triple().create_target_machine()
    engine = llvm.create_mcjit_compiler(parsed, machine)
    engine.finalize_object()
    f = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)(
        engine.get_function_address("f"))
    return f, engine


def _reference(name: str, a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b:  # only the sign of zero can differ: max prefers +0, min prefers -0
        negative = math.copysign(1, a) < 0 and math.copysign(1, b) < 0 if name == "maximum" \
            else math.copysign(1, a) < 0 or math.copysign(1, b) < 0
        return -abs(a) if negative else abs(a)
    return max(a, b) if name == "maximum" else min(a, b)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_expansion_keeps_the_intrinsic_meaning(name):
    module = _module(f"llvm.{name}.f64")
    expand_soft_double_min_max(module)
    (call,) = module.get_global("f").blocks[0].instructions[:1]
    assert call.callee.name == f"__rune_{name}_f64"
    f, engine = _jit(module)
    for a, b in CASES:
        got, want = f(a, b), _reference(name, a, b)
        if math.isnan(want):
            assert math.isnan(got), (a, b)
        else:
            assert got == want and math.copysign(1, got) == math.copysign(1, want), (a, b, got)
    del engine


def test_prepare_marks_every_definition_nounwind():
    module = _module("llvm.maximum.f64")
    prepare_for_arm(module)
    defined = [fn for fn in module.functions if fn.blocks]
    assert len(defined) == 2  # f and the replacement
    assert all("nounwind" in fn.attributes for fn in defined)
