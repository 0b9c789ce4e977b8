"""A model whose output shapes the flatbuffer leaves empty (TFLite_Detection_PostProcess) is
read as "shape known at allocation", accepted by check-types against a correct Runefile, and
runs with the shapes LiteRT allocates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rune.abi.models.tflite_format import read_tflite
from rune.runtime import Rune

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  boxes:
    capability: RAW
    outputs: [{type: f32, dimensions: [1, 8, 4]}]
  scores:
    capability: RAW
    outputs: [{type: f32, dimensions: [1, 8, 3]}]
  detect:
    model: ./postprocess.tflite
    inputs: [boxes, scores]
    outputs:
      - {type: f32, dimensions: [1, 3]}
      - {type: f32, dimensions: [1]}
      - {type: f32, dimensions: [1, 3, 4]}
      - {type: f32, dimensions: [1, 3]}
  serial:
    out: serial
    inputs: [detect.0, detect.1, detect.2, detect.3]
"""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("postprocess")
    model = folder / "postprocess.tflite"
    subprocess.run(
        [sys.executable, str(HERE / "build_postprocess_model.py"), str(model)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (folder / "Runefile.yml").write_text(RUNEFILE)
    return folder


def test_reader_reports_shapes_set_at_allocation(model_dir: Path) -> None:
    model = read_tflite((model_dir / "postprocess.tflite").read_bytes())
    assert model.operators == ["TFLite_Detection_PostProcess"]
    assert [t.shape for t in model.inputs] == [(1, 8, 4), (1, 8, 3)]
    assert [t.shape for t in model.outputs] == [None, None, None, None]
    assert [t.element_type for t in model.outputs] == ["f32"] * 4


def test_check_types_accepts_and_the_rune_runs(model_dir: Path) -> None:
    rune_path = model_dir / "detect.rune"
    done = subprocess.run(
        [str(BIN / "runec"), str(model_dir / "Runefile.yml"), "-o", str(rune_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    scores = np.zeros((1, 8, 3), np.float32)
    scores[0, :, 1] = [0.1, 0.9, 0.2, 0.3, 0.8, 0.05, 0.7, 0.15]
    scores[0, 5, 2] = 0.95
    out = Rune.load(rune_path).run(
        {"boxes": np.zeros((1, 8, 4), np.float32).tobytes(), "scores": scores.tobytes()}
    )
    classes, count, boxes, best = (t.data for t in out["serial"].tensors)
    assert count.tolist() == [3.0]
    np.testing.assert_allclose(best, [[0.95, 0.9, 0.8]], rtol=1e-6)
    assert classes.tolist() == [[1.0, 0.0, 0.0]]
    # zero box encodings decode to the anchors: [y, x] centres (0.3, 0.3), (0.1, 0.3), (0.3, 0.1)
    np.testing.assert_allclose(
        boxes[0], [[0.25, 0.25, 0.35, 0.35], [0.05, 0.25, 0.15, 0.35], [0.25, 0.05, 0.35, 0.15]],
        atol=1e-6,
    )


def test_check_types_still_rejects_a_wrong_element_type(model_dir: Path) -> None:
    wrong = model_dir / "wrong"
    wrong.mkdir(exist_ok=True)
    (wrong / "postprocess.tflite").write_bytes((model_dir / "postprocess.tflite").read_bytes())
    (wrong / "Runefile.yml").write_text(RUNEFILE.replace("{type: f32, dimensions: [1]}",
                                                         "{type: i32, dimensions: [1]}"))
    done = subprocess.run(
        [str(BIN / "runec"), str(wrong / "Runefile.yml"), "-o", str(wrong / "x.rune")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert 'output 1 of model "detect" is declared i32[1] in the Runefile but is f32[?]' in (
        done.stderr
    )
