"""ssd, compiled to wasm: anchors against MediaPipe's own numbers, decoding and non-max
suppression against a NumPy reference on random raw tensors, and end to end on MediaPipe's
short-range face detector run by LiteRT on a synthetic face."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticError
from rune.kernels._ssd_anchors import AnchorOptions, ssd_anchors
from rune.kernels.base import ProcBlockError
from rune.kernels.ssd import Ssd, anchor_options
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

F = np.float32
N = 896
FACE_MODEL = "mediapipe/modules/face_detection/face_detection_short_range.tflite"


def ssd_outputs(rows: int, keypoints: int = 6) -> list:
    outputs = [("f32", [rows, 4])]
    if keypoints:
        outputs.append(("f32", [rows, keypoints, 2]))
    return [*outputs, ("f32", [rows]), ("u32", [1])]


def compile_ssd(args: dict, anchors: int = N, coords: int = 16):
    rows = args.get("max_detections", 100)
    inputs = [("f32", [1, anchors, coords]), ("f32", [1, anchors, 1])]
    return compile_pipeline("ssd", args, inputs, ssd_outputs(rows, args.get("num_keypoints", 6)))


def full_args(args: dict) -> dict:
    return Ssd().parse_args(args)


# --- the NumPy reference -------------------------------------------------------------------
def decode_ref(raw: np.ndarray, anchors: np.ndarray, a: dict) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's DecodeBoxes in f32: boxes [n, 4] (ymin, xmin, ymax, xmax), keypoints
    [n, k, 2] (x, y)."""
    ax, ay, aw, ah = (anchors[:, i] for i in range(4))
    off = a["box_coord_offset"]
    first, second, third, fourth = (raw[:, off + i] for i in range(4))
    x, y, w, h = ((first, second, third, fourth) if a["reverse_output_order"]
                  else (second, first, fourth, third))
    x_center = x / F(a["x_scale"]) * aw + ax
    y_center = y / F(a["y_scale"]) * ah + ay
    if a["apply_exponential_on_box_size"]:
        h, w = np.exp(h / F(a["h_scale"])) * ah, np.exp(w / F(a["w_scale"])) * aw
    else:
        h, w = h / F(a["h_scale"]) * ah, w / F(a["w_scale"]) * aw
    boxes = np.stack([y_center - h / F(2), x_center - w / F(2), y_center + h / F(2),
                      x_center + w / F(2)], axis=1)
    k, koff = a["num_keypoints"], a["keypoint_coord_offset"]
    pairs = raw[:, koff:koff + 2 * k].reshape(len(raw), k, 2)
    kx, ky = (pairs[..., 0], pairs[..., 1]) if a["reverse_output_order"] else (pairs[..., 1],
                                                                                pairs[..., 0])
    keypoints = np.stack([kx / F(a["x_scale"]) * aw[:, None] + ax[:, None],
                          ky / F(a["y_scale"]) * ah[:, None] + ay[:, None]], axis=2)
    return boxes.astype(F), keypoints.astype(F)


def scores_ref(raw: np.ndarray, a: dict) -> np.ndarray:
    if not a["sigmoid_score"]:
        return raw
    clip = a["score_clipping_thresh"]
    x = np.clip(raw, -clip, clip).astype(np.float64) if clip > 0 else raw.astype(np.float64)
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x))).astype(F)


def iou_ref(a: np.ndarray, c: np.ndarray) -> np.float32:
    inter_h = max(min(a[2], c[2]) - max(a[0], c[0]), F(0))
    inter_w = max(min(a[3], c[3]) - max(a[1], c[1]), F(0))
    inter = inter_h * inter_w
    union = (a[2] - a[0]) * (a[3] - a[1]) + (c[2] - c[0]) * (c[3] - c[1]) - inter
    return inter / union if union > 0 else F(0)


def ssd_ref(raw_boxes: np.ndarray, raw_scores: np.ndarray, args: dict):
    """Decode, score, threshold, then MediaPipe's unweighted NMS over candidates sorted by
    score (ties: lower index first): keep a box unless it overlaps a kept one by IoU > t."""
    a = full_args(args)
    anchors = ssd_anchors(anchor_options(a))
    raw = raw_boxes.reshape(len(anchors), -1)
    boxes, keypoints = decode_ref(raw, anchors, a)
    scores = scores_ref(raw_scores.reshape(-1), a)
    with np.errstate(invalid="ignore"):
        alive = ((scores.astype(np.float64) >= a["min_score_thresh"])
                 & (boxes[:, 3] - boxes[:, 1] >= 0) & (boxes[:, 2] - boxes[:, 0] >= 0))
    order = sorted(np.flatnonzero(alive), key=lambda i: (-float(scores[i]), i))
    kept: list[int] = []
    for i in order:
        if len(kept) == a["max_detections"]:
            break
        if not any(iou_ref(boxes[i], boxes[j]) > F(a["iou_threshold"]) for j in kept):
            kept.append(i)
    rows = a["max_detections"]
    out_boxes, out_keypoints = np.zeros((rows, 4), F), np.zeros((rows, a["num_keypoints"], 2), F)
    out_scores = np.zeros(rows, F)
    out_boxes[:len(kept)], out_keypoints[:len(kept)] = boxes[kept], keypoints[kept]
    out_scores[:len(kept)] = scores[kept]
    return out_boxes, out_keypoints, out_scores, len(kept)


def assert_matches(got: list, expected: tuple, exact: bool = True) -> None:
    boxes, keypoints, scores, count = expected
    if len(got) == 3:
        got = [got[0], keypoints, *got[1:]]
    compare = (np.testing.assert_array_equal if exact
               else lambda g, e: np.testing.assert_allclose(g, e, rtol=2e-6, atol=1e-7))
    assert int(got[3][0]) == count
    compare(got[0], boxes)
    compare(got[1].reshape(keypoints.shape), keypoints)
    compare(got[2], scores)


# --- anchors -------------------------------------------------------------------------------
def test_face_detector_anchors():
    """4 layers, strides 8,16,16,16 on 128x128: a 16x16 grid with 2 anchors per cell, then an
    8x8 grid with 6 (three layers of stride 16 merged); fixed size 1x1; centres (i+0.5)/grid."""
    anchors = ssd_anchors(anchor_options(full_args({})))
    assert anchors.shape == (896, 4)
    fine = [((x + 0.5) / 16, (y + 0.5) / 16) for y in range(16) for x in range(16) for _ in "ab"]
    coarse = [((x + 0.5) / 8, (y + 0.5) / 8) for y in range(8) for x in range(8) for _ in "abcdef"]
    np.testing.assert_array_equal(anchors[:, :2], np.array(fine + coarse, F))
    assert (anchors[:, 2:] == 1.0).all()


def test_mobile_ssd_anchors_match_mediapipe_golden_file():
    """MediaPipe's ssd_anchors_calculator_test MobileSSDConfig (anchor_golden_file_1.txt rows
    0-2 and 1083-1088; x_center, y_center, w, h)."""
    anchors = ssd_anchors(AnchorOptions(
        input_size_height=300, input_size_width=300, min_scale=0.2, max_scale=0.95,
        strides=(16, 32, 64, 128, 256, 512), aspect_ratios=(1.0, 2.0, 0.5, 3.0, 0.3333),
        reduce_boxes_in_lowest_layer=True))
    assert len(anchors) == 1917
    np.testing.assert_allclose(anchors[[0, 1, 2]], [
        [0.0263158, 0.0263158, 0.1, 0.1], [0.0263158, 0.0263158, 0.282843, 0.141421],
        [0.0263158, 0.0263158, 0.141421, 0.282843]], atol=1e-5)
    np.testing.assert_allclose(anchors[1083:1089], [
        [0.05, 0.05, 0.35, 0.35], [0.05, 0.05, 0.494975, 0.247487],
        [0.05, 0.05, 0.247487, 0.494975], [0.05, 0.05, 0.606218, 0.202073],
        [0.05, 0.05, 0.202062, 0.606248], [0.05, 0.05, 0.41833, 0.41833]], atol=1e-5)


# --- decoding and NMS on random raw tensors ------------------------------------------------
def random_raw(seed: int, anchors: int = N, coords: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 30.0, (1, anchors, coords)).astype(F)
    raw[0, :, 0:2] = rng.normal(0.0, 12.0, (anchors, 2))  # centre offsets, in pixels
    raw[0, :, 2:4] = rng.uniform(-6.0, 70.0, (anchors, 2))  # sizes; a few negative
    return raw, rng.normal(0.0, 1.0, (1, anchors, 1)).astype(F)


PLAIN = {"sigmoid_score": False, "min_score_thresh": 0.0, "max_detections": 40}
VARIANT = {"sigmoid_score": False, "min_score_thresh": -0.5, "max_detections": 12,
           "reverse_output_order": False, "apply_exponential_on_box_size": True,
           "num_keypoints": 0, "iou_threshold": 0.1, "input_size_height": 96,
           "input_size_width": 64, "strides": "16,32", "aspect_ratios": "1.0,2.0",
           "fixed_anchor_size": False, "min_scale": 0.2, "max_scale": 0.9,
           "x_scale": 10.0, "y_scale": 10.0, "w_scale": 5.0, "h_scale": 5.0}


@pytest.fixture(scope="module")
def plain():
    return compile_ssd(PLAIN)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_decode_and_nms_match_reference_exactly(plain, seed):
    raw_boxes, raw_scores = random_raw(seed)
    expected = ssd_ref(raw_boxes, raw_scores, PLAIN)
    assert 5 < expected[3] <= 40
    assert_matches(run_kernel(plain, raw_boxes, raw_scores), expected)


@pytest.mark.parametrize("seed", [5, 6])
def test_yxhw_order_exponential_sizes_and_aspect_ratios(seed):
    anchors = len(ssd_anchors(anchor_options(full_args(VARIANT))))
    assert anchors == 6 * 4 * 3 + 3 * 2 * 3  # two grids, 3 anchors per cell (2 ratios + 1)
    raw_boxes, raw_scores = random_raw(seed, anchors, coords=4)
    raw_boxes[0, :, 2:4] /= 20.0  # log-sizes for the exponential
    rune = compile_ssd(VARIANT, anchors, coords=4)
    expected = ssd_ref(raw_boxes, raw_scores, VARIANT)
    assert expected[3] > 3
    assert_matches(run_kernel(rune, raw_boxes, raw_scores), expected, exact=False)


def test_sigmoid_scores_with_clipping_and_no_suppression():
    args = {"min_score_thresh": 0.0, "iou_threshold": 1.0, "max_detections": N}
    raw_boxes, raw_scores = random_raw(7)
    raw_scores[0, :4, 0] = [1e4, -1e4, np.nan, 100.5]
    got = run_kernel(compile_ssd(args), raw_boxes, raw_scores)
    boxes, _, scores, count = ssd_ref(raw_boxes, raw_scores, args)
    assert int(got[3][0]) == count == (np.isfinite(raw_scores) & (raw_boxes[..., 2:4] >= 0).all(
        axis=-1, keepdims=True)).sum()
    # Scores agree to a few ulp (the kernel's exp is not NumPy's), so compare them sorted and
    # the boxes as sets.
    np.testing.assert_allclose(got[2], scores, rtol=1e-6, atol=1e-12)
    assert {tuple(b) for b in got[0][:count]} == {tuple(b) for b in boxes[:count]}


def test_threshold_invalid_boxes_and_stable_ties(plain):
    """Equal scores keep index order; negative or NaN sizes and NaN scores are dropped;
    zero-size boxes never overlap, so nothing is suppressed; unused rows are 0."""
    raw_boxes = np.zeros((1, N, 16), F)
    raw_scores = np.full((1, N, 1), -1.0, F)  # below the 0.0 threshold
    raw_scores[0, [10, 5, 800, 7, 9, 11], 0] = [0.7, 0.7, 0.9, 0.95, 0.99, np.nan]
    raw_boxes[0, 7, 2] = -10.0  # negative width
    raw_boxes[0, 9, 3] = np.nan  # NaN height
    boxes, keypoints, scores, count = run_kernel(plain, raw_boxes, raw_scores)
    assert int(count[0]) == 3
    np.testing.assert_array_equal(scores[:4], np.array([0.9, 0.7, 0.7, 0.0], F))
    anchors = ssd_anchors(anchor_options(full_args({})))
    for row, anchor in enumerate([800, 5, 10]):
        x, y = anchors[anchor, :2]
        np.testing.assert_array_equal(boxes[row], [y, x, y, x])
        np.testing.assert_array_equal(keypoints[row], np.tile([x, y], (6, 1)))
    assert not boxes[3:].any() and not keypoints[3:].any() and not scores[3:].any()


def test_identical_boxes_suppress_each_other(plain):
    raw_boxes, raw_scores = random_raw(8)
    raw_boxes[0, :, 0:4] = [0.0, 0.0, 40.0, 40.0]  # same size at every anchor
    # Anchors 0 and 1 share a centre: the lower-scoring twin is suppressed.
    raw_scores[0, :2, 0] = [5.0, 6.0]
    got = run_kernel(plain, raw_boxes, raw_scores)
    assert got[2][0] == 6.0 and 5.0 not in got[2]
    assert_matches(got, ssd_ref(raw_boxes, raw_scores, PLAIN))


# --- end to end on MediaPipe's face detector -----------------------------------------------
def _wheel_model() -> bytes:
    """The face detector shipped inside the mediapipe==0.10.14 wheel, which `make setup`
    installs (without its dependencies: only this file is used)."""
    spec = importlib.util.find_spec("mediapipe")
    assert spec is not None and spec.origin is not None, (
        "mediapipe==0.10.14 is not installed; run `make setup`")
    return (Path(spec.origin).parent.parent / FACE_MODEL).read_bytes()


def synthetic_face() -> np.ndarray:
    """A cartoon face (skin ellipse, eyes, brows, nose, mouth, hair) on a blue-grey ground,
    as the model wants it: [1, 128, 128, 3] f32 in [-1, 1]."""
    y, x = np.mgrid[0:128, 0:128].astype(F)
    img = np.empty((128, 128, 3), F)
    img[:] = (0.35, 0.45, 0.55)
    img[((x - 64) / 30) ** 2 + ((y - 66) / 40) ** 2 <= 1] = (0.87, 0.72, 0.60)
    for cx in (52, 76):
        img[((x - cx) / 6) ** 2 + ((y - 56) / 3.5) ** 2 <= 1] = (0.1, 0.08, 0.08)
        img[(np.abs(y - 47) < 1.5) & (np.abs(x - cx) < 8)] = (0.25, 0.15, 0.1)
    img[(np.abs(x - 64) < 2.5) & (y > 60) & (y < 76)] = (0.75, 0.58, 0.48)
    img[((x - 64) / 11) ** 2 + ((y - 86) / 3) ** 2 <= 1] = (0.6, 0.2, 0.2)
    img[(((x - 64) / 32) ** 2 + ((y - 56) / 42) ** 2 <= 1) & (y < 34)] = (0.2, 0.12, 0.08)
    return (img * 2 - 1)[None]


@pytest.fixture(scope="module")
def face_outputs(tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path_factory.mktemp("mediapipe") / "face_detection_short_range.tflite"
    path.write_bytes(_wheel_model())
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], synthetic_face())
    interpreter.invoke()
    out = {d["name"]: interpreter.get_tensor(d["index"])
           for d in interpreter.get_output_details()}
    return out["regressors"], out["classificators"]


def test_face_detector_end_to_end(face_outputs):
    raw_boxes, raw_scores = face_outputs
    assert raw_boxes.shape == (1, 896, 16) and raw_scores.shape == (1, 896, 1)
    got = run_kernel(compile_ssd({}), raw_boxes, raw_scores)  # MediaPipe's defaults
    expected = ssd_ref(raw_boxes, raw_scores, {})
    assert_matches(got, expected, exact=False)
    boxes, keypoints, scores, count = got
    assert int(count[0]) == 1 and scores[0] > 0.8  # one face, its overlaps suppressed
    ymin, xmin, ymax, xmax = boxes[0]
    assert abs((xmin + xmax) / 2 - 64 / 128) < 0.08 and abs((ymin + ymax) / 2 - 66 / 128) < 0.1
    eyes = sorted(keypoints[0, :2].tolist())  # keypoints 0 and 1 are the eyes, 3 the mouth
    np.testing.assert_allclose(eyes, [[52 / 128, 56 / 128], [76 / 128, 56 / 128]], atol=0.06)
    np.testing.assert_allclose(keypoints[0, 3], [64 / 128, 86 / 128], atol=0.06)


# --- compile-time checks ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "inputs", "outputs", "message"),
    [
        ({}, [("f32", [1, 100, 16]), ("f32", [1, 100, 1])], ssd_outputs(100),
         r"give 896 anchors, so the raw boxes must be f32\[1, 896, values per anchor\]"),
        ({"num_keypoints": 7}, [("f32", [1, 896, 16]), ("f32", [1, 896, 1])],
         ssd_outputs(100, 7), "need 18 values per anchor"),
        ({}, [("f32", [1, 896, 16]), ("f32", [1, 896, 2])], ssd_outputs(100),
         "one value per anchor"),
        ({}, [("f32", [1, 896, 16]), ("f32", [1, 896, 1])], ssd_outputs(100, 0),
         "takes 2 input.* and gives 4 output"),
        ({"max_detections": 10}, [("f32", [1, 896, 16]), ("f32", [1, 896, 1])],
         ssd_outputs(100), r"boxes output must be f32\[10, 4\] \(max_detections=10\)"),
        ({}, [("f32", [1, 896, 16]), ("f32", [1, 896, 1])],
         [*ssd_outputs(100)[:3], ("i32", [1])], r"count output must be u32\[1\]"),
        ({}, [("f64", [1, 896, 16]), ("f32", [1, 896, 1])], ssd_outputs(100),
         "f32 raw boxes and scores"),
        ({"x_scale": 0.0}, [("f32", [1, 896, 16]), ("f32", [1, 896, 1])], ssd_outputs(100),
         "`x_scale` must not be 0"),
    ],
)
def test_bad_signatures_are_diagnosed(args, inputs, outputs, message):
    module = pipeline_module("ssd", args, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())


def test_bad_strides_are_rejected():
    with pytest.raises(ProcBlockError, match="comma-separated list of integers"):
        anchor_options(full_args({"strides": "8;16"}))
