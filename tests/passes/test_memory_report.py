"""`runec --memory-report` shows the whole pipeline: a compiled model's activations in the one
arena with the kernels' tensors, each tensor with the stage that makes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_report_lists_model_activations_beside_kernel_tensors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(ROOT / "examples/microspeech/Runefile.yml"),
         "-O2", "--models=compiled", "--memory-report", "-o", str(tmp_path / "m.rune")],
        capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "memory plan for microspeech (greedy-by-size):"
    figures = {line.split()[0]: int(line.split()[-2]) for line in lines[1:4]}
    assert figures["arena"] == figures["lower"] == 39840  # the fft's input and output
    assert figures["naive"] > figures["arena"]
    rows = {line.split()[0]: line.split() for line in lines[5:]}
    # tensor 3 is the reshape's output (the model's first operator), 5 the logits the top-1
    # index reads now that elide-softmax-before-argmax dropped the softmax
    assert rows["1"][-2:] == ["fft", "(proc-block)"]
    assert rows["3"][-2:] == ["model#0", "(kernel)"] and rows["3"][2] == "1960"
    assert rows["5"][-2:] == ["model#2", "(kernel)"] and rows["5"][2] == "6"
    assert rows["6"][-2:] == ["most_confident", "(proc-block)"]
    assert not any("model#3" in line for line in lines)
