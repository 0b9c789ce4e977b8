"""irgen: Runefile → rune dialect, and its errors."""

from __future__ import annotations

import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import run_frontend

RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  raw:
    capability: RAW
    outputs: [{type: f32, dimensions: [4]}]
  wrapped:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#KERNEL"
    inputs: [raw]
    outputs: [{type: f32, dimensions: [4]}]
    args: ARGS
  serial:
    out: serial
    inputs: [wrapped]
"""


def _write(tmp_path, kernel="modulo", args="{modulus: 2.5}"):
    path = tmp_path / "Runefile.yml"
    path.write_text(RUNEFILE.replace("KERNEL", kernel).replace("ARGS", args))
    return path


def test_stages_become_ops_in_execution_order(tmp_path):
    module = run_frontend(_write(tmp_path)).module
    (pipeline,) = module.ops
    assert [op.name for op in pipeline.body.ops] == [
        "rune.capability", "rune.proc_block", "rune.output"]
    assert [op.stage_name for op in pipeline.body.ops] == ["raw", "wrapped", "serial"]
    text = str(module)
    assert 'args {modulus = 2.500000e+00 : f64}' in text


def test_a_failed_stage_does_not_cascade(tmp_path):
    with pytest.raises(DiagnosticError) as caught:
        run_frontend(_write(tmp_path, kernel="no_such_kernel"))
    (only,) = caught.value.diagnostics
    assert "unknown proc block `no_such_kernel`" in only.message
    assert only.span is not None and only.span.line == 8


def test_argument_type_errors_point_at_the_stage(tmp_path):
    with pytest.raises(DiagnosticError, match="argument `modulus` expects float, got 'abc'"):
        run_frontend(_write(tmp_path, args="{modulus: abc}"))
