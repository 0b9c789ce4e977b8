"""How a Runefile and runec choose compiled models, through the real command lines: the `run`
argument, `--models`, target defaults, `--emit=ir`, `--memory-report`, `rune inspect`, and the
errors for what cannot be compiled."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .harness import PEER

SINE = PEER / "examples" / "sine" / "sinemodel.tflite"
MICROSPEECH = PEER / "integration-tests" / "run-pass" / "microspeech-up"


def runefile(folder: Path, model: str, run: str | None = None, element: str = "F32",
             dims: tuple[int, ...] = (1, 1)) -> Path:
    """RAW -> model -> serial, with the model's `run` argument when given."""
    args = f"\n    args:\n      run: {run}" if run is not None else ""
    shape = "".join(f"\n          - {d}" for d in dims)
    text = f"""version: 1
image: runicos/base
pipeline:
  input:
    capability: RAW
    outputs:
      - type: {element}
        dimensions:{shape}
  model:
    model: ./{model}
    inputs:
      - input
    outputs:
      - type: {element}
        dimensions:{shape}{args}
  serial:
    out: serial
    inputs:
      - model
"""
    path = folder / "Runefile.yml"
    path.write_text(text)
    return path


def tool(name: str, *args) -> subprocess.CompletedProcess:
    module = "rune.runtime.cli" if name == "rune" else f"rune.tools.{name}"
    return subprocess.run([sys.executable, "-m", module, *map(str, args)],
                          capture_output=True, text=True)


def manifest(rune: Path) -> dict:
    return json.loads(tool("rune", "inspect", "--json", rune).stdout)


@pytest.fixture
def sine_dir(tmp_path) -> Path:
    shutil.copy(SINE, tmp_path / "sine.tflite")
    return tmp_path


def test_run_argument_and_flag_choose_per_model(sine_dir):
    rune = sine_dir / "a.rune"
    compiled = runefile(sine_dir, "sine.tflite", run="compiled")
    assert tool("runec", compiled, "-o", rune).returncode == 0
    m = manifest(rune)
    assert m["models"] == [] and [c["name"] for c in m["compiled_models"]] == ["model"]
    # `run: handler` wins over --models=compiled
    handler = runefile(sine_dir, "sine.tflite", run="handler")
    assert tool("runec", handler, "--models=compiled", "-o", rune).returncode == 0
    m = manifest(rune)
    assert [x["name"] for x in m["models"]] == ["model"] and "compiled_models" not in m
    # no argument: --models decides, else the target (handler on wasm32)
    plain = runefile(sine_dir, "sine.tflite")
    assert tool("runec", plain, "-o", rune).returncode == 0
    assert "compiled_models" not in manifest(rune)
    assert tool("runec", plain, "--models=compiled", "-o", rune).returncode == 0
    assert manifest(rune)["models"] == []
    text = tool("rune", "inspect", rune).stdout
    assert "model  tensorflow-lite  compiled into the rune (3 operators of sine.tflite)" in text
    assert tool("runec", plain, "--target=wasm32-mcu", "-o", rune).returncode == 0
    assert manifest(rune)["models"] == []


def test_compiled_and_handler_sine_agree(sine_dir):
    """Float model: compiled within 1e-5 of LiteRT (tests/models_compiled measures 0 here)."""
    plain = runefile(sine_dir, "sine.tflite")
    outputs = {}
    for mode in ("compiled", "handler"):
        rune = sine_dir / f"{mode}.rune"
        assert tool("runec", plain, f"--models={mode}", "-o", rune).returncode == 0
        values = []
        for angle in np.linspace(-1.0, 7.0, 9, dtype=np.float32):
            (sine_dir / "x.bin").write_bytes(angle.tobytes())
            result = tool("rune", "run", rune, "--raw", sine_dir / "x.bin")
            assert result.returncode == 0, result.stderr
            values.append(json.loads(result.stdout)[0]["tensors"][0]["elements"][0])
        outputs[mode] = np.array(values, dtype=np.float64)
    np.testing.assert_allclose(outputs["compiled"], outputs["handler"], rtol=0, atol=1e-5)
    assert np.ptp(outputs["handler"]) > 0.5  # a real sine, not a constant


def test_emit_ir_shows_the_imported_model_and_the_memory_report_its_tensors(sine_dir):
    plain = runefile(sine_dir, "sine.tflite")
    ir = tool("runec", plain, "--models=compiled", "--emit=ir")
    assert ir.returncode == 0, ir.stderr
    assert ir.stdout.count('"tfl.fully_connected"') == 3 and "rune.model" not in ir.stdout
    assert "rune.model" in tool("runec", plain, "--emit=ir").stdout
    report = tool("runec", plain, "--models=compiled", "--memory-report", "-o",
                  sine_dir / "r.rune")
    assert report.returncode == 0, report.stderr
    # the model's two hidden activations (f32[1,16], 64 bytes) are planned with the rest
    assert report.stderr.count("64") >= 2 or report.stdout.count("64") >= 2
    after = tool("runec", plain, "--models=compiled", "--print-ir-after=lower-tfl-to-loops",
                 "--emit=llvm-dialect", "-o", sine_dir / "x.ll")
    assert 'rune.call "model#0" callee "tfl.0.fully_connected"' in after.stderr
    assert "func.func private @tfl.0.fully_connected" in after.stderr


def test_unsupported_operator_is_an_error_naming_it_and_the_model(tf_models, tmp_path):
    shutil.copy(tf_models.build("cos", False, shape=(1, 4)), tmp_path / "cos.tflite")
    path = runefile(tmp_path, "cos.tflite", dims=(1, 4))
    result = tool("runec", path, "--models=compiled", "-o", tmp_path / "c.rune")
    assert result.returncode == 1
    assert f"{path}:11:3: error: model 'model' (cos.tflite) uses operator COS, which compiled " \
           "models do not support; run it with `run: handler`" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "c.rune").exists()
    assert tool("runec", path, "-o", tmp_path / "h.rune").returncode == 0  # handler: fine


def test_bad_run_argument(sine_dir):
    path = runefile(sine_dir, "sine.tflite", run="fast")
    result = tool("runec", path, "-o", sine_dir / "x.rune")
    assert result.returncode == 1
    assert 'error: Expected `run` to be one of compiled, handler, but found "fast"' in \
        result.stderr
    assert tool("runec", runefile(sine_dir, "sine.tflite"), "--models=fast").returncode == 2


def test_microspeech_compiled_rune_is_bit_exact_with_the_reference(tmp_path):
    """The microspeech rune (front end, model, label) compiled both ways: the model's int8 output
    equals LiteRT's reference kernels on all four recordings."""
    from .harness import reference

    folder = tmp_path / "ms"
    folder.mkdir()
    shutil.copy(MICROSPEECH / "model.tflite", folder)
    text = (MICROSPEECH / "Runefile.yml").read_text()
    text = text[:text.index("  most_confident:")] + (
        "  serial:\n    out: serial\n    inputs:\n      - noise_filtering\n      - model\n")
    (folder / "Runefile.yml").write_text(text)
    rune = folder / "c.rune"
    assert tool("runec", folder / "Runefile.yml", "--models=compiled", "-o", rune).returncode == 0
    for word in ("up", "down", "left", "right"):
        wav = MICROSPEECH.parent / f"microspeech-{word}" / f"{word}.wav"
        result = tool("rune", "run", rune, wav)
        assert result.returncode == 0, result.stderr
        features, logits = (np.array(t["elements"], dtype=np.int8)
                            for t in json.loads(result.stdout)[0]["tensors"])
        (expected,) = reference(folder / "model.tflite", features.reshape(1, 1960))
        assert np.array_equal(logits, expected.reshape(-1)), word


@pytest.mark.parametrize("target", ["wasm32", "wasm32-mcu"])
def test_person_detection_model_is_bit_exact_with_the_reference(target):
    """MobileNet v1 0.25 (uint8, per-tensor: 14 CONV_2D of up to 256 channels, 14
    DEPTHWISE_CONV_2D, SAME padding, stride 2): the compiled model's scores equal LiteRT's
    reference kernels on random images, with SIMD (wasm32) and without (wasm32-mcu)."""
    from rune.runtime.host import Rune

    from .harness import compile_model, random_input, reference, run_rune

    model = PEER / "examples" / "person_detection" / "model.tflite"
    rune = Rune.load(compile_model(model, target=target))
    for seed in range(3):
        inputs = random_input(model, seed)
        (got,) = run_rune(rune, *inputs)
        (want,) = reference(model, *inputs)
        np.testing.assert_array_equal(got.reshape(want.shape), want)


def test_compiled_convolutions_use_wasm_simd_only_where_the_target_has_it():
    """person_detection's kernels vectorise on wasm32 (SIMD128: the patch dot products become
    i32x4.dot_i16x8_s) and stay scalar on wasm32-mcu (the MVP profile wasm3 runs)."""
    from rune.tools.compiler import CompileOptions, compile_module, run_passes

    from .harness import model_module

    model = PEER / "examples" / "person_detection" / "model.tflite"
    counts = {}
    for target in ("wasm32", "wasm32-mcu"):
        # -O2 explicitly: at -O0 (make test's RUNE_OPT_LEVEL=0 pass) LLVM vectorises nothing.
        options = CompileOptions(models="compiled", target=target, opt_level="2")
        module = model_module(model)
        run_passes(module, options)
        asm = compile_module(module, "asm", options)
        asm = asm.decode() if isinstance(asm, bytes) else asm
        counts[target] = (len(re.findall(r"\b(?:i8x16|i16x8|i32x4|i64x2|v128)\.", asm)),
                          asm.count("i32x4.dot_i16x8_s"))
        if target == "wasm32":  # requantisation's i32 x i32 -> i64 products
            extmuls = len(re.findall(r"\si64x2\.extmul_(?:low|high)_i32x4_s\s", asm))
            muls = len(re.findall(r"\si64x2\.mul\s", asm))
    simd, dots = counts["wasm32"]
    assert simd > 1000 and dots >= 13, counts  # one dot loop per 1x1 layer at least
    assert counts["wasm32-mcu"] == (0, 0), counts
    # The vector requantisation's multipliers are opaque loads, so every layer, even one of a
    # single channel block (its loop unrolled), multiplies with extmul; at most the last
    # layer's (2 channels, scalar code LLVM vectorises with constants) is a full i64x2.mul.
    assert extmuls >= 300 and muls <= 1, (extmuls, muls)


def test_widest_vector_factor_only_in_runes_with_model_layers():
    """LLVM's --vectorizer-maximize-bandwidth is process-global: on while a rune with compiled
    layers is optimised, and never left on for the next rune's front-end kernels (the image
    chain's staged u8 rows stay at LLVM's usual factor)."""
    from rune.tools.compiler import CompileOptions, compile_module, compile_runefile, run_passes

    from .harness import model_module

    chain = Path(__file__).parents[1] / "lit" / "runefile" / "transpose-staged-rows.yml"

    def front_end() -> str:
        return compile_runefile(chain, "llvm", CompileOptions(opt_level="2"))

    before = front_end()
    options = CompileOptions(models="compiled", target="wasm32", opt_level="2")
    module = model_module(PEER / "examples" / "person_detection" / "model.tflite")
    run_passes(module, options)
    asm = compile_module(module, "asm", options)
    assert "i32x4.dot_i16x8_s" in (asm.decode() if isinstance(asm, bytes) else asm)
    after = front_end()
    assert after == before
    assert "load <4 x i8>" in after and "<16 x i8>" not in after
