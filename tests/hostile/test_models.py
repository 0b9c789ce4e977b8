"""Class 2: a model must pass the graph verifier before LiteRT or onnxruntime sees it. The
mutations the issue names (each one crashed or misled LiteRT) are refused with one message;
every real model we ship against still passes."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest
from rune.abi.models.errors import ModelFormatError
from rune.abi.models.onnx_rules import check_onnx
from rune.abi.models.tflite_graph import OPERATORS, verify_tflite_graph

REPO = Path(__file__).resolve().parents[2]
REGRESSIONS = REPO / "tests" / "fuzz" / "regressions"
PEER = REPO.parent / "shared" / "peer-suite" / "hotg-rune"
# MediaPipe ships its models as package data (Makefile installs mediapipe==0.10.14, unimported).
MEDIAPIPE = Path(importlib.util.find_spec("mediapipe").submodule_search_locations[0]) / "modules"

MUTATIONS = {
    "ms-dw-nobias": "operator 1 (DEPTHWISE_CONV_2D): has 2 inputs, needs 3 (input, filter, bias)",
    "q-conv-nobias": "operator 0 (CONV_2D): has 2 inputs, needs 3 (input, filter, bias)",
    "fc-nobias": "operator 0 (FULLY_CONNECTED): has 2 inputs, needs 3 (input, weights, bias)",
    "fc-w-1": "operator 0 (FULLY_CONNECTED): input 1 (weights) is missing (tensor index -1)",
    "q-w-1": "operator 0 (CONV_2D): input 1 (filter) is missing (tensor index -1)",
    "ms-swap": "operator 1 (FULLY_CONNECTED): weights [1, 10, 8, 8] do not fit input "
               "[1, 49, 40, 1]",
    "ms-swap2": "operator 2 (SOFTMAX): has 3 inputs, needs 1 (input)",
    "q-swap": "operator 5 (CONV_2D): filter [16, 224] does not fit input [1, 224] (NHWC, OHWI "
              "filter)",
    "out-unwritten": "graph output 0 (tensor 0, 'Identity') is never written",
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutated_tflite_models_are_refused(name: str):
    with pytest.raises(ModelFormatError) as info:
        verify_tflite_graph((REGRESSIONS / "tflite" / f"{name}.tflite").read_bytes())
    assert str(info.value) == MUTATIONS[name]


# One path per distinct model (the peer suite repeats its files), first path wins.
_ALL = sorted(PEER.rglob("*.tflite")) + sorted(MEDIAPIPE.rglob("face_detection*.tflite"))
REAL = list({hashlib.sha256(p.read_bytes()).digest(): p for p in reversed(_ALL)}.values())


@pytest.mark.parametrize("path", REAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_models_pass_and_report_their_tensor_bytes(path: Path):
    assert verify_tflite_graph(path.read_bytes()) > 0


def test_the_real_models_cover_the_peer_suite_and_the_face_detector():
    names = {p.name for p in REAL}
    assert {"sinemodel.tflite", "model_quantized.tflite", "style_transform.tflite",
            "face_detection_short_range.tflite"} <= names
    assert len(OPERATORS) > 40


def test_custom_operators_are_refused_by_name():
    custom = MEDIAPIPE / "selfie_segmentation" / "selfie_segmentation.tflite"
    with pytest.raises(ModelFormatError, match="custom Convolution2DTransposeBias is not accepted"):
        verify_tflite_graph(custom.read_bytes())


def test_onnx_external_data_is_refused_even_when_the_file_exists(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_bytes(b"password")  # the ONNX checker then accepts it
    with pytest.raises(ModelFormatError, match="initializer 'w' keeps its data outside the model "
                                               "file"):
        check_onnx((REGRESSIONS / "onnx" / "external-secret.onnx").read_bytes())


def test_onnx_custom_domains_are_refused():
    with pytest.raises(ModelFormatError, match="operator domain 'com.evil' is not accepted"):
        check_onnx((REGRESSIONS / "onnx" / "custom-domain.onnx").read_bytes())
