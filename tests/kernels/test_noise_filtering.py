"""noise_filtering, compiled to wasm, against the original's golden vectors, a stateful NumPy model
of its arithmetic, and a NumPy port of TFLM's micro frontend (the algorithm it was ported from)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rune.frontend.diagnostics import DiagnosticError
from rune.frontend.resolve import resolve
from rune.ir.kernel_builder import KernelBuilder, Scalar
from rune.kernels import LIBRARY
from rune.kernels._audio_libm import log2
from rune.kernels.base import ElementwiseProcBlock
from rune.kernels.noise_filtering import _gained, _wide_dynamic_function, gain_rows, gain_table
from rune.tools.compiler import CompileOptions, run_passes

from tests.kernels.harness import compile_kernel, compile_pipeline, pipeline_module, run_kernel

GOLDEN = Path("/work/shared/peer-suite/golden")
U64 = np.uint64
DEFAULTS = {"strength": 0.95, "offset": 80.0, "gain_bits": 21, "smoothing_bits": 10,
            "even_smoothing": 0.025, "odd_smoothing": 0.06, "min_signal_remaining": 0.05}
# The table the original's own unit test (gain_control.rs, initialize_state) expects.
ORIGINAL_LUT = [
    32636, 32636, 32635, 0, 0, 0, 32635, 1, -2, 0, 32634, 1, -2, 0, 32633, -5, 2, 0, 32630, -6,
    0, 0, 32624, -12, 0, 0, 32612, -23, -2, 0, 32587, -48, 0, 0, 32539, -96, 0, 0, 32443, -190, 0,
    0, 32253, -378, 4, 0, 31879, -739, 18, 0, 31158, -1409, 62, 0, 29811, -2567, 202, 0, 27446,
    -4301, 562, 0, 23707, -6265, 1230, 0, 18672, -7458, 1952, 0, 13166, -7030, 2212, 0, 8348,
    -5342, 1868, 0, 4874, -3459, 1282, 0, 2697, -2025, 774, 0, 1446, -1120, 436, 0, 762, -596,
    232, 0, 398, -313, 122, 0, 207, -164, 64, 0, 107, -85, 34, 0, 56, -45, 18, 0, 29, -22, 8, 0,
    15, -13, 6, 0, 8, -8, 4, 0, 4, -2, 0,
]
# TFLM's kLogLut (log_lut.c): 129 segments of log2(1 + x) - x in 2^-16 units, plus padding.
TFLM_LOG_LUT = np.array([
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
    2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633,
    4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
    5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586,
    5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000,
    4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
    3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207,
    2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
])


# --- the NumPy model ---------------------------------------------------------------------------
def lookup_table(strength: float, offset: float, gain_bits: int, input_bits: int) -> np.ndarray:
    def gain(x: int) -> int:
        base = np.float32(np.float32(x) / np.float32(2 ** input_bits)) + np.float32(offset)
        with np.errstate(divide="ignore"):  # offset 0 at x = 0: powf(0, -s) is inf
            power = np.power(np.float64(base), -np.float64(np.float32(strength)))
        value = np.float32(2 ** gain_bits) * np.float32(power)
        return int(np.float32(min(value, np.float32(32767)) + np.float32(0.5)))

    table = [gain(0), gain(1)]
    for interval in range(2, 33):
        x0 = 2 ** (interval - 1)
        y0, y1, y2 = gain(x0), gain(x0 + x0 // 2), gain(2 * x0 - (interval == 32))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        table += [y0, a1, y2 - y0 - a1, 0]
    return np.array(table[:125], dtype=np.int64).astype(np.int16)


def wide_dynamic_function(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """PCAN gain per noise estimate, as i16 results in int64."""
    x = x.astype(np.int64)
    lut = table.astype(np.int64)
    interval = np.maximum(np.floor(np.log2(np.maximum(x, 1))).astype(np.int64) + 1, 2)
    base = 4 * interval - 6
    frac = np.where(interval < 11, x << np.maximum(11 - interval, 0),
                    x >> np.maximum(interval - 11, 0)) & 0x3FF
    value = (lut[base + 2] * frac) >> 5
    value = (value + (lut[base + 1] << 5)).astype(np.int32).astype(np.int64)
    value = (value * frac).astype(np.int32).astype(np.int64)  # i32 wrapping product
    value = ((value + (1 << 14)) >> 15) + lut[base]
    value = value.astype(np.int16).astype(np.int64)
    return np.where(x <= 2, lut[np.minimum(x, 2)], value)


def shrink(snr: np.ndarray) -> np.ndarray:
    small = ((snr * snr) & 0xFFFFFFFF) >> 20
    return np.where(snr < 8192, small, ((snr >> 6) - 64) & 0xFFFFFFFF)


def scaled(value: float) -> int:
    return int(np.float32(np.clip(np.float32(value), 0, 1) * np.float32(16384)))


class Model:
    """The original's noise-filtering with its state: noise_reduction.rs, gain_control.rs, lib.rs.
    `tflm` swaps in noise_reduction.c's arithmetic: the old estimate weighted by 2^14 - smoothing
    (the original: 2^14) and truncated to u32 before the comparison with the signal."""

    def __init__(self, count: int, tflm: bool = False, **overrides) -> None:
        self.args = {**DEFAULTS, **overrides}
        self.estimate = np.zeros(count, dtype=U64)
        self.tflm = tflm
        a = self.args
        same_gain = (np.float32(a["strength"]), np.float32(a["offset"]), a["gain_bits"]) == (
            np.float32(0.95), np.float32(80.0), 21)
        bits = 10 if same_gain else a["smoothing_bits"]  # the original's table-rebuild quirk
        self.table = lookup_table(a["strength"], a["offset"], a["gain_bits"], bits + 1)

    def pcan(self, x: np.ndarray) -> np.ndarray:
        """Noise reduction + gain control: the integer energies before the log."""
        a = self.args
        x = x.reshape(-1).astype(U64)
        signal = (x << U64(a["smoothing_bits"])) & U64(0xFFFFFFFF)
        weight = np.where(np.arange(x.size) % 2 == 0, scaled(a["even_smoothing"]),
                          scaled(a["odd_smoothing"])).astype(U64)
        keep_old = U64(16384) - weight if self.tflm else U64(16384)
        updated = (signal * weight + self.estimate * keep_old) >> U64(14)
        self.estimate = updated & U64(0xFFFFFFFF)
        if self.tflm:
            updated = self.estimate
        floor = (x * U64(scaled(a["min_signal_remaining"]))) >> U64(14)
        subtracted = (signal - np.minimum(updated, signal)) >> U64(a["smoothing_bits"])
        cleaned = np.maximum(floor, subtracted) & U64(0xFFFFFFFF)
        gain = (wide_dynamic_function(self.estimate, self.table) & 0xFFFFFFFF).astype(U64)
        snr = ((cleaned * gain) >> U64(a["gain_bits"] - 11)) & U64(0xFFFFFFFF)  # < 2^64: no wrap
        return shrink(snr.astype(np.int64))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return to_i8(np.log2(self.pcan(x).astype(np.float64) + 1.0)).reshape(x.shape)


def to_i8(values: np.ndarray) -> np.ndarray:
    """trunc(255 (e - min) / (max - min) - 128) as i8 (saturating; NaN gives 0)."""
    values = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        out = 255.0 * (values - values.min()) / (values.max() - values.min()) - 128.0
    return np.nan_to_num(np.clip(np.trunc(out), -128, 127), nan=0.0).astype(np.int8)


def tflm_log_scale(energy: np.ndarray, correction_bits: int = -1, scale_shift: int = 6
                   ) -> np.ndarray:
    """TFLM's LogScaleApply: fixed-point ln(v) * 2^scale_shift from a 129-segment log2 table."""
    out = np.zeros(energy.size, dtype=np.int64)
    for i, value in enumerate(int(v) for v in energy.reshape(-1)):
        value = value >> -correction_bits if correction_bits < 0 else value << correction_bits
        if value <= 1:
            continue
        integer = value.bit_length() - 1
        frac = value - (1 << integer)
        frac = frac << (16 - integer) if integer < 16 else frac >> (integer - 16)
        segment = frac >> 9
        c0, c1 = int(TFLM_LOG_LUT[segment]), int(TFLM_LOG_LUT[segment + 1])
        log2_fixed = (integer << 16) + frac + c0 + (((c1 - c0) * (frac - 512 * segment)) >> 16)
        natural = (45426 * log2_fixed + 32768) >> 16
        out[i] = min(((natural << scale_shift) + 32768) >> 16, 0xFFFF)
    return out


# --- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def golden_rune():
    return compile_pipeline("noise_filtering", {}, [("u32", [1, 1960])], [("i8", [1, 1960])])


@pytest.fixture(scope="module")
def fft_up():
    return np.load(GOLDEN / "fft_up.npy")


# --- the original's vectors --------------------------------------------------------------------
def test_golden_then_state_changes_the_second_run(golden_rune, fft_up):
    model = Model(1960)
    first = run_kernel(golden_rune, fft_up)
    np.testing.assert_array_equal(first, np.load(GOLDEN / "noise_filtering_up.npy"))
    np.testing.assert_array_equal(model(fft_up), first)
    second = run_kernel(golden_rune, fft_up)
    assert (second != first).sum() == 936  # the estimates kept from the first run
    np.testing.assert_array_equal(second, model(fft_up))
    np.testing.assert_array_equal(run_kernel(golden_rune, fft_up), model(fft_up))


def test_smoke_vectors_from_fresh_state(fft_up):
    rune = compile_pipeline("noise_filtering", {}, [("u32", [1, 1960])], [("i8", [1, 1960])])
    smoke_in = np.load(GOLDEN / "noise_filtering_smoke_in.npy").reshape(1, 1960)
    np.testing.assert_array_equal(smoke_in, fft_up)
    np.testing.assert_array_equal(run_kernel(rune, smoke_in).reshape(-1),
                                  np.load(GOLDEN / "noise_filtering_smoke_out.npy"))


def test_tables_and_model_match_the_original_unit_tests():
    np.testing.assert_array_equal(gain_table(0.95, 80.0, 21, 10), ORIGINAL_LUT)
    np.testing.assert_array_equal(lookup_table(0.95, 80.0, 21, 11), ORIGINAL_LUT)
    table = np.array(ORIGINAL_LUT, dtype=np.int16)
    estimates = np.array([6321887, 31248341])
    np.testing.assert_array_equal(wide_dynamic_function(estimates, table), [990, 219])
    model = Model(2)
    model.pcan(np.array([247311, 508620]))  # noise_reduction.rs tests (from TFLM's)
    np.testing.assert_array_equal(model.estimate, estimates)
    # gain_control.rs test: cleaned [241137, 478104] with those estimates gives [3578, 1533].
    gain = wide_dynamic_function(estimates, table)
    np.testing.assert_array_equal(shrink((np.array([241137, 478104]) * gain) >> 10), [3578, 1533])


# --- random inputs and other arguments, run after run ------------------------------------------
@pytest.fixture(scope="module")
def small_rune():
    rune = compile_pipeline("noise_filtering", {}, [("u32", [1, 40])], [("i8", [1, 40])])
    return rune, Model(40)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.integers(0, 300), st.integers(0, 70000),
                                 st.integers(0, 2**32 - 1)), min_size=40, max_size=40))
def test_random_runs_match_stateful_model(small_rune, values):
    rune, model = small_rune  # both keep their state from example to example
    x = np.array(values, dtype=np.uint32).reshape(1, 40)
    np.testing.assert_array_equal(run_kernel(rune, x), model(x))


@pytest.mark.parametrize(
    "args",
    [
        {"strength": 0.5, "offset": 10.0, "gain_bits": 16, "smoothing_bits": 8},
        {"smoothing_bits": 6, "even_smoothing": 0.5, "odd_smoothing": 1.5},  # table keeps 10
        {"min_signal_remaining": 0.5, "gain_bits": 25, "offset": 0.0},
    ],
)
def test_other_arguments_match_model(args):
    shape = [1, 98]
    rune = compile_pipeline("noise_filtering", args, [("u32", shape)], [("i8", shape)])
    model = Model(98, **args)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = rng.integers(0, 60000, size=shape, dtype=np.uint32)
        np.testing.assert_array_equal(run_kernel(rune, x), model(x))


def test_equal_energies_give_zeros():
    rune = compile_pipeline("noise_filtering", {}, [("u32", [1, 6])], [("i8", [1, 6])])
    np.testing.assert_array_equal(run_kernel(rune, np.zeros((1, 6), dtype=np.uint32)),
                                  np.zeros((1, 6), dtype=np.int8))


# --- log2 in IR against NumPy ------------------------------------------------------------------
class _Log2(ElementwiseProcBlock):
    name = "test_audio_log2"
    summary = "libm's log2, for testing the IR port"
    element_types = ("f64",)

    def scalar(self, builder: KernelBuilder, value: Scalar, args) -> Scalar:
        return log2(builder, value)


def test_log2_port_is_within_one_ulp_and_exact_on_powers_of_two():
    rng = np.random.default_rng(3)
    values = np.concatenate([
        np.arange(1, 4097, dtype=np.float64), 2.0 ** np.arange(0, 33),
        rng.integers(1, 2**32, 8000).astype(np.float64) + 1.0, rng.uniform(1, 1e300, 1000),
    ])
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(LIBRARY, _Log2.name, _Log2())
        rune = compile_kernel(_Log2.name, {}, "f64", [values.size])
    got = run_kernel(rune, values)
    ulps = np.abs(got.view(np.int64) - np.log2(values).view(np.int64))
    assert ulps.max() <= 1
    np.testing.assert_array_equal(got[4096:4096 + 33], np.arange(0, 33))


# --- the 32-bit lane arithmetic against the original's 64-bit one --------------------------------
def _edge_values(rng: np.random.Generator) -> np.ndarray:
    """u32s around every power of two, the interval and 2^24 edges included, and random ones."""
    powers = (1 << np.arange(32, dtype=np.int64))[:, None] + np.arange(-2, 3)[None, :]
    values = np.concatenate([np.arange(0, 4100), powers.ravel(),
                             rng.integers(0, 2**32, 6000, dtype=np.int64)])
    return (values[(values >= 0) & (values < 2**32)]).astype(np.uint32)


class _Pcan(ElementwiseProcBlock):
    """`_wide_dynamic_function` (gain of x as an i16 in i32) or `_gained` (x times the i16 in
    x's bits 7-22, shifted), one u32 in, one u32 out."""

    element_types = ("u32",)
    shift: int | None = None

    def scalar(self, builder: KernelBuilder, value: Scalar, args) -> Scalar:
        b = builder
        if self.shift is None:
            y0, slopes = (b.table(n, v, "i32") for n, v in zip(
                ("y0", "slopes"), gain_rows(gain_table(0.95, 80.0, 21, 10)), strict=True))
            return b.convert(_wide_dynamic_function(b, value, y0, slopes), "u32")
        gain = b.convert(b.convert(b.shift_right(value, b.constant(7, "u32")), "i16"), "i32")
        return _gained(b, value, gain, self.shift)


def _compile_pcan(shift: int | None, size: int):
    block = type("_PcanAt", (_Pcan,), {"name": f"test_pcan_{shift}", "summary": "test",
                                        "shift": shift})()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(LIBRARY, block.name, block)
        return compile_kernel(block.name, {}, "u32", [size])


def test_branch_free_gain_lookup_matches_the_original_lookup():
    x = _edge_values(np.random.default_rng(11))
    got = run_kernel(_compile_pcan(None, x.size), x).view(np.int32)
    np.testing.assert_array_equal(got, wide_dynamic_function(x, gain_table(0.95, 80.0, 21, 10)))


@pytest.mark.parametrize("shift", [0, 10, 16, 19])
def test_gain_product_in_u32_lanes_matches_the_u64_product(shift):
    x = _edge_values(np.random.default_rng(shift))
    gain = (x.astype(np.int64) >> 7).astype(np.uint16).astype(np.int16).astype(np.int64)
    expected = (x.astype(object) * (gain & 0xFFFFFFFF).astype(object)) >> shift
    expected = np.array([v & 0xFFFFFFFF for v in expected], dtype=np.uint32)
    assert (gain < 0).sum() > 1000  # both signs of the gain are exercised
    np.testing.assert_array_equal(run_kernel(_compile_pcan(shift, x.size), x), expected)


# --- TFLM's micro frontend as an independent reference -------------------------------------------
def test_deviation_from_a_port_of_tflm(fft_up):
    """TFLM's noise_reduction.c + pcan_gain_control.c + log_scale.c on the same input (flat, as
    the original treats the 1960 values as channels; TFLM's correction_bits -1 as the original's;
    scale_shift 6), its u16 logs scaled to i8 the original's way. Two runs, state kept."""
    ours = Model(1960)
    tflm = Model(1960, tflm=True)
    rune = compile_pipeline("noise_filtering", {}, [("u32", [1, 1960])], [("i8", [1, 1960])])
    for run, (deviation, changed, weighting_changed) in enumerate([(44, 997, 0), (48, 984, 253)]):
        got = run_kernel(rune, fft_up).reshape(-1)
        np.testing.assert_array_equal(got, ours(fft_up).reshape(-1))
        energies = tflm.pcan(fft_up)
        if run == 0:  # from a zero estimate the weighting cannot matter: integer stages agree
            np.testing.assert_array_equal(energies, Model(1960).pcan(fft_up))
        ported = to_i8(tflm_log_scale(energies))
        difference = np.abs(got.astype(int) - ported.astype(int))
        assert (difference.max(), int((difference > 0).sum())) == (deviation, changed)
        # The weighting alone (TFLM's pcan, the original's log2):
        weighting = got != to_i8(np.log2(energies.astype(np.float64) + 1.0))
        assert int(weighting.sum()) == weighting_changed


def test_hyphenated_reference_resolves():
    resolved = resolve("hotg-ai/proc-blocks@v0.11.3#noise-filtering", ".")
    assert resolved.block.name == "noise_filtering" and resolved.warning is None


@pytest.mark.parametrize(
    ("args", "inputs", "outputs", "message"),
    [
        ({}, [("i32", [1, 40])], [("i8", [1, 40])], r"takes u32\[1, n\]"),
        ({}, [("u32", [40])], [("i8", [40])], r"takes u32\[1, n\]"),
        ({}, [("u32", [2, 20])], [("i8", [2, 20])], r"takes u32\[1, n\]"),
        ({}, [("u32", [1, 40])], [("u8", [1, 40])], r"gives i8\[1, 40\]"),
        ({}, [("u32", [1, 40])], [("i8", [1, 41])], r"gives i8\[1, 40\]"),
        ({"gain_bits": 8}, [("u32", [1, 40])], [("i8", [1, 40])], "must be >= 11"),
        ({"smoothing_bits": 31}, [("u32", [1, 40])], [("i8", [1, 40])], "must be <= 30"),
    ],
)
def test_bad_pipelines_are_diagnosed(args, inputs, outputs, message):
    with pytest.raises(DiagnosticError, match=message):
        run_passes(pipeline_module("noise_filtering", args, inputs, outputs), CompileOptions())


def test_lookup_table_handles_degenerate_gain_arguments():
    # A negative base makes powf NaN, which f32::min turns into the i16 cap.
    assert (gain_table(0.95, -1e6, 21, 10)[:2] == 32767).all()
    assert math.isfinite(float(gain_table(0.0, 80.0, 21, 10)[0]))
