"""Custom proc blocks: a user's Python module referenced by path, compiled like a built-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_block"


@pytest.mark.parametrize("opt_level", ["0", "2"])
def test_worked_example_compiles_fuses_and_runs(opt_level):
    rune = Rune.load(compile_runefile(EXAMPLE / "Runefile.yml", "rune",
                                      CompileOptions(opt_level=opt_level)))
    samples = np.fromfile(EXAMPLE / "input.bin", dtype=np.float32)
    (output,) = rune.run({"samples": samples})
    expected = np.clip(np.fmod(samples, np.float32(4.0)), -1.5, 2.5)
    np.testing.assert_array_equal(output.tensors[0].data, expected)
    stages = [s.name for s in rune.manifest.stages]
    assert ("scaled" in stages) == (opt_level == "0")  # -O2 fuses modulo into clip


def _runefile(tmp_path: Path, module_text: str, args: str = "{}") -> Path:
    (tmp_path / "block.py").write_text(module_text)
    path = tmp_path / "Runefile.yml"
    path.write_text(f"""version: 1
image: runicos/base
pipeline:
  x:
    capability: RAW
    outputs: [{{type: f32, dimensions: [4]}}]
  y:
    proc-block: ./block.py
    inputs: [x]
    outputs: [{{type: f32, dimensions: [4]}}]
    args: {args}
  serial:
    out: serial
    inputs: [y]
""")
    return path


def test_a_broken_module_is_one_diagnostic_at_the_stage(tmp_path):
    path = _runefile(tmp_path, "def broken(:\n")
    with pytest.raises(DiagnosticError, match="failed to load: SyntaxError") as caught:
        compile_runefile(path, "rune")
    assert caught.value.diagnostics[0].span.line == 8


def test_module_must_define_exactly_one_block(tmp_path):
    path = _runefile(tmp_path, "X = 1\n")
    with pytest.raises(DiagnosticError, match=r"exactly one ProcBlock subclass \(found none\)"):
        compile_runefile(path, "rune")


def test_arguments_of_a_custom_block_are_checked(tmp_path):
    path = _runefile(tmp_path, (EXAMPLE / "clip.py").read_text(), "{low: 3, high: 1}")
    with pytest.raises(DiagnosticError, match="clip needs low <= high"):
        compile_runefile(path, "rune")
