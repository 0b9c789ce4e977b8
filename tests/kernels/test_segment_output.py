"""segment_output, compiled to wasm, against the original's per-pixel fold in plain Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

NO_LABEL = 0xFFFFFFFF
# (rows, columns, classes, room in the label list)
CASES = [(5, 4, 3, 3), (8, 8, 21, 21), (3, 7, 6, 2), (1, 1, 1, 4)]


def pixel_class(scores: np.ndarray) -> int:
    """Start at (0, 0.0), move only to a strictly greater score: NaN never wins."""
    best_index, best = 0, np.float32(0.0)
    for index, score in enumerate(scores):
        if score > best:
            best_index, best = index, score
    return best_index


def reference(values: np.ndarray, room: int) -> tuple[np.ndarray, np.ndarray]:
    _, rows, columns, _ = values.shape
    classes = np.array([[pixel_class(values[0, r, c]) for c in range(columns)]
                        for r in range(rows)], dtype=np.uint32)
    present = sorted(set(classes.reshape(-1).tolist()))[:room]
    labels = np.full(room, NO_LABEL, dtype=np.uint32)
    labels[: len(present)] = present
    return classes, labels


def compile_case(rows: int, columns: int, classes: int, room: int):
    return compile_pipeline("segment_output", {}, [("f32", [1, rows, columns, classes])],
                            [("u32", [rows, columns]), ("u32", [room])])


@pytest.fixture(scope="module", params=CASES, ids=str)
def compiled(request):
    return request.param, compile_case(*request.param)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_maps(compiled, seed):
    (rows, columns, classes, room), rune = compiled
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((1, rows, columns, classes)).astype(np.float32)
    # Some pixels from a small pool: ties, all-negative rows and NaN.
    pool = np.array([-1.0, 0.0, 2.0, 2.0, np.nan], dtype=np.float32)
    mask = rng.random(values.shape) < rng.random()
    values[mask] = rng.choice(pool, size=int(mask.sum()))
    got_classes, got_labels = run_kernel(rune, values)
    expected_classes, expected_labels = reference(values, room)
    assert got_classes.shape == (rows, columns) and got_classes.dtype == np.uint32
    np.testing.assert_array_equal(got_classes, expected_classes)
    np.testing.assert_array_equal(got_labels, expected_labels)


def test_the_originals_unit_test():
    pixel_rows = [[1.7611206, -0.824405, 3.3042068], [4.1308413, 3.8263698, 13.207806],
                  [3.4352894, 4.6627636, 4.464175], [1.7611206, 8.24405, 3.3042068]]
    values = np.array([[pixel_rows] * 5], dtype=np.float32)  # [1, 5, 4, 3]
    rune = compile_case(5, 4, 3, 2)
    got_classes, got_labels = run_kernel(rune, values)
    np.testing.assert_array_equal(got_classes, [[2, 2, 1, 1]] * 5)
    np.testing.assert_array_equal(got_labels, [1, 2])


def test_state_does_not_leak_between_runs():
    """The presence flags live in memory kept across runs; each run starts them afresh."""
    rune = compile_case(2, 2, 4, 4)
    first = np.zeros((1, 2, 2, 4), dtype=np.float32)
    first[0, :, :, 3] = 1.0
    np.testing.assert_array_equal(run_kernel(rune, first)[1], [3, NO_LABEL, NO_LABEL, NO_LABEL])
    second = -np.ones((1, 2, 2, 4), dtype=np.float32)  # every pixel is class 0
    np.testing.assert_array_equal(run_kernel(rune, second)[1], [0, NO_LABEL, NO_LABEL, NO_LABEL])


@pytest.mark.parametrize(
    ("inputs", "outputs", "message"),
    [
        ([("f32", [5, 4, 3])], [("u32", [5, 4]), ("u32", [3])],
         r"takes f32\[1, rows, columns, classes\], not f32\[5, 4, 3\]"),
        ([("f32", [2, 5, 4, 3])], [("u32", [5, 4]), ("u32", [3])], r"not f32\[2, 5, 4, 3\]"),
        ([("f64", [1, 5, 4, 3])], [("u32", [5, 4]), ("u32", [3])], "input must be f32"),
        ([("f32", [1, 5, 4, 3])], [("u32", [4, 4]), ("u32", [3])],
         r"first output holds 20 element\(s\) \(e.g. u32\[5, 4\]\)"),
        ([("f32", [1, 5, 4, 3])], [("i32", [5, 4]), ("u32", [3])], "first output must be u32"),
        ([("f32", [1, 5, 4, 3])], [("u32", [5, 4])], r"gives 2 output\(s\)"),
    ],
)
def test_bad_signatures_are_diagnosed(inputs, outputs, message):
    module = pipeline_module("segment_output", {}, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
