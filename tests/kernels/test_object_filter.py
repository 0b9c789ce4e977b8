"""object_filter, compiled to wasm, against the original's algorithm transcribed literally
(filter, then repeatedly find the first duplicate pair and remove one of it)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_pipeline, pipeline_module, run_kernel

EMPTY_ROW = [0.0, 0.0, 0.0, 0.0, 0.0, -1.0]
# (detections, classes, output rows, threshold)
CASES = [(10, 3, 10, 0.7), (40, 4, 40, 0.3), (25, 1, 5, 0.5), (60, 80, 60, 0.0)]


def best_class(scores: np.ndarray) -> tuple[int, np.float32]:
    """Rust's max_by with partial_cmp(...).unwrap_or(Equal): the later item wins unless the
    earlier is strictly greater (NaN compares Equal)."""
    index, best = 0, scores[0]
    for j in range(1, len(scores)):
        if not best > scores[j]:
            index, best = j, scores[j]
    return index, best


def reference(values: np.ndarray, threshold: float, rows: int) -> np.ndarray:
    bound = np.float32(threshold)
    objects = []
    for row in values[0]:
        if row[4] > bound:
            label, confidence = best_class(row[5:])
            objects.append((row[0], row[1], row[2], row[3], confidence, label))

    def find_duplicate():
        for i in range(len(objects)):
            for j in range(i + 1, len(objects)):
                if (abs(objects[i][0] - objects[j][0]) <= np.float32(0.01)
                        and abs(objects[i][1] - objects[j][1]) <= np.float32(0.01)):
                    return i, j
        return None

    while (pair := find_duplicate()) is not None:
        first, second = pair
        objects.pop(second if objects[first][4] > objects[second][4] else first)
    table = [[*o[:5], np.float32(o[5])] for o in objects][:rows]
    table += [EMPTY_ROW] * (rows - len(table))
    return np.array(table, dtype=np.float32).reshape(rows, 6)


def compile_case(detections: int, classes: int, rows: int, threshold: float):
    return compile_pipeline("object_filter", {"threshold": threshold},
                            [("f32", [1, detections, 5 + classes])], [("f32", [rows, 6])])


@pytest.fixture(scope="module", params=CASES, ids=str)
def compiled(request):
    return request.param, compile_case(*request.param)


def random_detections(rng: np.random.Generator, detections: int, classes: int) -> np.ndarray:
    values = rng.random((1, detections, 5 + classes)).astype(np.float32)
    # Centres on a coarse grid with small jitter: many pairs within 0.01 of each other.
    grid = rng.integers(0, 3, size=(detections, 2)) * np.float32(0.05)
    jitter = rng.uniform(-0.008, 0.008, size=(detections, 2))
    values[0, :, :2] = (grid + jitter).astype(np.float32)
    # Tied, NaN and exactly-at-threshold scores.
    pool = np.array([0.3, 0.5, 0.7, 0.9, np.nan], dtype=np.float32)
    mask = rng.random(values.shape) < 0.15
    mask[0, :, :4] = False
    values[mask] = rng.choice(pool, size=int(mask.sum()))
    return values


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_detections(compiled, seed):
    (detections, classes, rows, threshold), rune = compiled
    values = random_detections(np.random.default_rng(seed), detections, classes)
    got = run_kernel(rune, values)
    assert got.shape == (rows, 6) and got.dtype == np.float32
    np.testing.assert_array_equal(got, reference(values, threshold, rows))


ORIGINAL_ROW = [
    0.27335986, 0.43181776, 0.40072349, 0.33026114, 0.75, 0.1849257, 0.8824799, 0.26666544,
    0.10702547, 0.34699273, 0.27335986, 0.43181776, 0.40072349, 0.33026114, 0.63204721,
    0.2141086, 0.58288711, 0.08516971, 0.33079992, 0.0627511, 0.51991946, 0.44326415,
    0.09308417, 0.25098184, 0.64352701, 0.48809405, 0.35556684, 0.23886549, 0.15850841,
    0.61959053, 0.62318601, 0.34463603, 0.07799015, 0.33482861, 0.22496075, 0.58609099,
    0.12996288, 0.47061749, 0.56641317, 0.49165747, 0.3426614, 0.45904443, 0.07293156,
    0.2054915, 0.45656552, 0.36487279, 0.62364449, 0.32963318, 0.35004969, 0.14574761,
    0.44673359, 0.29083161, 0.2129067, 0.41462883, 0.33459402, 0.17917575, 0.09818682,
    0.04437961, 0.5769604, 0.34821418, 0.44926693, 0.4287493, 0.2332583, 0.29233373,
    0.5974608, 0.02897593, 0.09843597, 0.44231495, 0.30452269, 0.56230679, 0.0113074,
    0.56081945, 0.53853333, 0.43793348, 0.17007934, 0.35080665, 0.05898283, 0.05127876,
    0.29145357, 0.59377787, 0.51103643, 0.13517603, 0.19269662, 0.47548843, 0.20795399,
]


def test_the_originals_unit_test():
    values = np.array(ORIGINAL_ROW, dtype=np.float32).reshape(1, 1, 85)
    got = run_kernel(compile_case(1, 80, 1, 0.7), values)
    expected = np.array([[0.27335986, 0.43181776, 0.40072349, 0.33026114, 0.8824799, 1.0]],
                        dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


@pytest.fixture(scope="module")
def four():
    return compile_case(4, 2, 4, 0.5)


def _detections(*rows: list[float]) -> np.ndarray:
    return np.array(rows, dtype=np.float32).reshape(1, len(rows), 7)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Nothing above the threshold (0.5 itself is not above it): all padding.
        (_detections([0, 0, 1, 1, 0.5, 1, 0], [0, 0, 1, 1, 0.1, 1, 0],
                     [0, 0, 1, 1, np.nan, 1, 0], [0, 0, 1, 1, -1, 1, 0]), []),
        # Two duplicates: the more confident (by class score) stays; a tie drops the first.
        (_detections([0.5, 0.5, 1, 1, 0.9, 0.2, 0.6], [0.505, 0.495, 2, 2, 0.9, 0.7, 0.1],
                     [0.9, 0.9, 3, 3, 0.9, 0.4, 0.4], [0.9, 0.905, 4, 4, 0.9, 0.4, 0.4]),
         [[0.505, 0.495, 2, 2, 0.7, 0], [0.9, 0.905, 4, 4, 0.4, 1]]),
        # NaN among the class scores: compared as Equal, so it replaces, and a later score
        # replaces it in turn.
        (_detections([0, 0, 1, 1, 0.9, np.nan, 0.1], [1, 0, 1, 1, 0.9, 0.3, np.nan],
                     [2, 0, 1, 1, 0.9, 0.3, 0.3], [3, 0, 1, 1, 0.9, 0.3, 0.2]),
         [[0, 0, 1, 1, 0.1, 1], [1, 0, 1, 1, np.nan, 1], [2, 0, 1, 1, 0.3, 1],
          [3, 0, 1, 1, 0.3, 0]]),
        # A chain a~b~c: (a, b) is found first; b survives and then meets c.
        (_detections([0.0, 0, 1, 1, 0.9, 0.1, 0], [0.01, 0, 1, 1, 0.9, 0.5, 0],
                     [0.02, 0, 1, 1, 0.9, 0.3, 0], [0.5, 0.5, 1, 1, 0.4, 1, 0]),
         [[0.01, 0, 1, 1, 0.5, 0]]),
    ],
)
def test_edge_cases(four, values, expected):
    got = run_kernel(four, values)
    padded = np.array([*expected, *[EMPTY_ROW] * (4 - len(expected))], dtype=np.float32)
    np.testing.assert_array_equal(got, padded)
    np.testing.assert_array_equal(got, reference(values, 0.5, 4))


def test_scratch_does_not_leak_between_runs(four):
    busy = _detections(*[[i * 0.1, 0, 1, 1, 0.9, 0.5, 0.1] for i in range(4)])
    assert (run_kernel(four, busy)[:, 5] == 0).all()
    quiet = _detections([0.2, 0.2, 1, 1, 0.9, 0.1, 0.8], *[[0, 0, 1, 1, 0.0, 1, 0]] * 3)
    expected = np.array([[0.2, 0.2, 1, 1, 0.8, 1], *[EMPTY_ROW] * 3], dtype=np.float32)
    np.testing.assert_array_equal(run_kernel(four, quiet), expected)


@pytest.mark.parametrize(
    ("inputs", "outputs", "message"),
    [
        ([("f32", [4, 7])], [("f32", [4, 6])], r"takes detections as f32\[1, count, 5 \+ clas"),
        ([("f32", [1, 4, 5])], [("f32", [4, 6])], r"at least one class"),
        ([("f32", [2, 4, 7])], [("f32", [4, 6])], r"not f32\[2, 4, 7\]"),
        ([("f64", [1, 4, 7])], [("f32", [4, 6])], "input must be f32, not f64"),
        ([("f32", [1, 4, 7])], [("f32", [4, 5])], r"output is f32\[rows, 6\].*not f32\[4, 5\]"),
        ([("f32", [1, 4, 7])], [("u32", [4, 6])], "output must be f32, not u32"),
    ],
)
def test_bad_signatures_are_diagnosed(inputs, outputs, message):
    module = pipeline_module("object_filter", {}, inputs, outputs)
    with pytest.raises(DiagnosticError, match=message):
        run_passes(module, CompileOptions())
