"""Pass instrumentation: dumps, timing, --verify-each and crash reproducers."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.passes.instrumentation import Instrumentation, spec_parts
from rune.passes.registry import PASSES
from rune.tools.compiler import CompileOptions, parse_ir, run_passes
from rune.tools.rune_opt import main as rune_opt
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

IR = """builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "m" kernel "modulo" args {modulus = 2.0 : f64}(%0) \
: (tensor<4xf32>) -> (tensor<4xf32>)
    rune.output "y" kind "serial" args {}(%1) : (tensor<4xf32>)
  }
}
"""


@dataclass(frozen=True)
class CrashPass(ModulePass):
    name = "test-crash"

    def apply(self, ctx, op: ModuleOp) -> None:
        raise RuntimeError("boom")


@dataclass(frozen=True)
class BreakIRPass(ModulePass):
    """Leaves IR that breaks a verifier (an unknown capability): only --verify-each notices."""

    name = "test-break-ir"

    def apply(self, ctx, op: ModuleOp) -> None:
        capability = next(iter(next(iter(op.ops)).body.ops))
        capability.kind = StringAttr("LIDAR")


@pytest.fixture(autouse=True)
def test_passes():
    PASSES.update({CrashPass.name: CrashPass, BreakIRPass.name: BreakIRPass})
    yield
    del PASSES[CrashPass.name], PASSES[BreakIRPass.name]


def test_crash_writes_a_replayable_reproducer(tmp_path):
    path = tmp_path / "repro.mlir"
    options = CompileOptions(passes="check-types,test-crash,plan-memory{strategy=naive}",
                             instrument=Instrumentation(reproducer=path))
    with pytest.raises(DiagnosticError, match=r"pass `test-crash` failed: RuntimeError: boom; "
                       r"reproducer written to .*repro.mlir"):
        run_passes(parse_ir(IR), options)
    text = path.read_text()
    assert "--passes='test-crash,plan-memory{strategy=naive}'" in text
    replayed = parse_ir(text.split("\n", 3)[3])  # the IR after the three comment lines
    assert str(replayed) == str(parse_ir(IR))


def test_verify_each_catches_invalid_ir(tmp_path):
    options = CompileOptions(
        passes="test-break-ir",
        instrument=Instrumentation(verify_each=True, reproducer=tmp_path / "r.mlir"))
    with pytest.raises(DiagnosticError, match="pass `test-break-ir` failed"):
        run_passes(parse_ir(IR), options)
    unchecked = CompileOptions(passes="test-break-ir")
    run_passes(parse_ir(IR), unchecked)  # without --verify-each the damage goes unnoticed here


def test_dumps_before_and_after_named_passes():
    stream = io.StringIO()
    options = CompileOptions(
        passes="check-types,plan-memory",
        instrument=Instrumentation(print_before=frozenset({"plan-memory"}),
                                   print_after=frozenset({"check-types"}), stream=stream))
    run_passes(parse_ir(IR), options)
    text = stream.getvalue()
    assert text.count("// -----// IR Dump") == 2
    assert text.index("IR Dump After check-types") < text.index("IR Dump Before plan-memory")
    assert set(options.timings) == {"pass check-types", "pass plan-memory"}


def test_rune_opt_replays_a_pipeline(tmp_path, capsys):
    source = tmp_path / "in.mlir"
    source.write_text(IR)
    assert rune_opt([str(source), "--passes=fuse-elementwise,plan-memory{strategy=naive}"]) == 0
    out = capsys.readouterr().out
    assert 'rune.memory_plan = #rune.memory_plan<strategy "naive"' in out


def test_spec_parts_respects_braces():
    assert spec_parts("a,b{x=1,y=2},c") == ["a", "b{x=1,y=2}", "c"]
