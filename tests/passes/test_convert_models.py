"""convert-models: TensorFlow SavedModel and Keras models are converted to TFLite by runec (float,
or full-integer int8 from representative data), and the rune runs them on LiteRT.

The models are built here with TensorFlow: one Dense unit with set weights, y = 2x + 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from rune.abi.models.tflite_format import read_tflite
from rune.frontend import confine
from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError
from rune.passes import convert_models
from rune.passes.registry import default_pipeline
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile, run_frontend, run_passes

X = np.linspace(-1.0, 1.0, 9, dtype=np.float32)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test converts into its own cache, so nothing is shared with ~/.cache."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("RUNE_CACHE_DIR", str(directory))
    return directory / "converted"


@pytest.fixture(autouse=True)
def confinement(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The models are built once outside each test's Runefile folder; runec may read them."""
    allowed = (tmp_path_factory.getbasetemp(), Path("/work/shared/peer-suite"))
    with confine.confined(confine.Confinement.for_runefile(tmp_path / "Runefile.yml",
                                                           allow_paths=allowed)):
        yield


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The Keras model itself, and its SavedModel, .keras and .h5 forms."""
    tf = pytest.importorskip("tensorflow")
    root = tmp_path_factory.mktemp("models")
    inputs = tf.keras.Input(shape=(1,), batch_size=1)
    dense = tf.keras.layers.Dense(1)
    model = tf.keras.Model(inputs, dense(inputs))
    dense.set_weights([np.array([[2.0]], np.float32), np.array([1.0], np.float32)])
    model.export(str(root / "saved"), verbose=False)
    model.save(root / "model.keras")
    model.save(root / "model.h5")
    np.save(root / "calib.npy", np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(64, 1))
    return {"model": model, "root": root}


def runefile(directory: Path, model: str, element: str = "f32", args: str = "",
             quantized: bool = False) -> Path:
    """RAW f32[1, 1] -> model -> serial, with quantize/dequantize around an int8 model."""
    def stage(name: str, head: str, inputs: str | None, element: str | None = None,
              extra: str = "") -> str:
        text = f"  {name}:\n    {head}\n"
        text += "".join(f"    {line}\n" for line in extra.splitlines())
        text += f"    inputs: [{inputs}]\n" if inputs else ""
        if element:
            text += f"    outputs:\n      - type: {element}\n        dimensions: [1, 1]\n"
        return text

    model_args = "".join(f"  {line}\n" for line in ("format: tensorflow", *args.splitlines()))
    text = "version: 1\nimage: runicos/base\npipeline:\n"
    text += stage("x", "capability: RAW", None, "f32")
    if quantized:
        text += stage("q", 'proc-block: "hotg-ai/proc-blocks@v0.11.3#quantize"', "x", "i8")
    text += stage("m", f"model: {model}", "q" if quantized else "x", element,
                  "args:\n" + model_args)
    if quantized:
        text += stage("d", 'proc-block: "hotg-ai/proc-blocks@v0.11.3#dequantize"', "m", "f32")
    text += stage("serial", "out: serial", "d" if quantized else "m")
    path = directory / "Runefile.yml"
    path.write_text(text)
    return path


def run_all(rune: bytes) -> np.ndarray:
    loaded = Rune.load(rune, cache_dir=None)
    return np.array([float(loaded.run({"x": np.array([[x]], np.float32)})[0].value.ravel()[0])
                     for x in X])


def expected(models: dict) -> np.ndarray:
    return models["model"](X.reshape(-1, 1)).numpy().ravel()


def compile_error(path: Path) -> str:
    with pytest.raises(DiagnosticError) as info:
        compile_runefile(path)
    return str(info.value)


def test_the_pass_runs_first_at_every_level():
    for level in ("0", "1", "2", "s"):
        assert default_pipeline(level).startswith("convert-models,infer-quantization,")


@pytest.mark.parametrize("source", ["saved", "model.keras", "model.h5"])
def test_float_model_runs_like_tensorflow(models: dict, tmp_path: Path, source: str,
                                          cache: Path):
    path = runefile(tmp_path, str(models["root"] / source))
    got = run_all(compile_runefile(path))
    np.testing.assert_allclose(got, expected(models), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, 2 * X + 1, rtol=1e-6, atol=1e-6)
    (converted,) = cache.iterdir()
    assert converted.suffix == ".tflite"
    assert read_tflite(converted.read_bytes()).inputs[0].element_type == "f32"


def test_the_op_becomes_a_tflite_model_and_loses_its_args(models: dict, tmp_path: Path,
                                                         cache: Path):
    path = runefile(tmp_path, str(models["root"] / "model.keras"), "i8",
                    "quantize: int8\nrepresentative-data: ./calib.npy", quantized=True)
    (tmp_path / "calib.npy").write_bytes((models["root"] / "calib.npy").read_bytes())
    front = run_frontend(path)
    assert "representative-data" in str(front.module)
    run_passes(front.module, CompileOptions(passes="convert-models"), front.runefile)
    text = str(front.module)
    assert 'format "tensorflow-lite"' in text and "representative-data" not in text
    assert str(cache) in text


def test_int8_model_is_full_integer_and_close(models: dict, tmp_path: Path, cache: Path):
    (tmp_path / "calib.npy").write_bytes((models["root"] / "calib.npy").read_bytes())
    path = runefile(tmp_path, str(models["root"] / "saved"), "i8",
                    "quantize: int8\nrepresentative-data: ./calib.npy", quantized=True)
    got = run_all(compile_runefile(path))
    (converted,) = cache.iterdir()
    model = read_tflite(converted.read_bytes())
    assert [t.element_type for t in (*model.inputs, *model.outputs)] == ["i8", "i8"]
    in_scale = model.inputs[0].quantization.scale[0]
    out_scale = model.outputs[0].quantization.scale[0]
    # input rounding (half a step, times the weight 2) plus output rounding, and one step slack
    tolerance = 2 * in_scale + 1.5 * out_scale
    np.testing.assert_allclose(got, expected(models), atol=tolerance)
    assert np.abs(got - expected(models)).max() > 0  # it really is quantized


def test_conversions_are_cached(models: dict, tmp_path: Path, cache: Path,
                                monkeypatch: pytest.MonkeyPatch):
    path = runefile(tmp_path, str(models["root"] / "model.keras"))
    first = compile_runefile(path)
    (converted,) = cache.iterdir()

    def fail(*args):
        raise AssertionError("converted again")

    monkeypatch.setattr(convert_models, "_convert", fail)
    assert compile_runefile(path) == first
    assert list(cache.iterdir()) == [converted]


def test_a_tflite_file_with_format_tensorflow_is_left_alone(tmp_path: Path, cache: Path):
    sine = "/work/shared/peer-suite/hotg-rune/examples/sine/sinemodel.tflite"
    path = runefile(tmp_path, sine)
    assert isinstance(compile_runefile(path), bytes)
    assert not cache.exists()


def test_missing_tensorflow_is_one_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    model = tmp_path / "model.keras"
    model.write_bytes(b"PK\x03\x04 not read before the import")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now fails
    with pytest.raises(DiagnosticError) as info:
        compile_runefile(runefile(tmp_path, "./model.keras"))
    (diagnostic,) = info.value.diagnostics
    assert "pip install 'rune-compiler[tensorflow]'" in diagnostic.message
    assert diagnostic.span.line == 9  # the model stage `m:`


def test_a_directory_that_is_not_a_saved_model(tmp_path: Path):
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "weights.bin").write_bytes(b"\0")
    message = compile_error(runefile(tmp_path, "./notamodel"))
    assert "is not a TensorFlow SavedModel: it has no saved_model.pb" in message


@pytest.mark.parametrize("name", ["model.keras", "model.h5"])
def test_a_file_that_is_not_a_keras_model(tmp_path: Path, name: str):
    (tmp_path / name).write_bytes(b"garbage")
    message = compile_error(runefile(tmp_path, f"./{name}"))
    assert f"{name} is not a Keras model" in message


def test_a_keras_file_tensorflow_cannot_load_is_one_diagnostic(models: dict, tmp_path: Path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "model.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    message = compile_error(runefile(tmp_path, "./model.keras"))
    assert "cannot convert Keras model model.keras to TFLite: " in message
    assert "Traceback" not in message


@pytest.mark.parametrize("data, complaint", [
    (b"not an npy file", "is not a readable .npy file"),
    (np.zeros((4, 3), np.float32), "each representative sample has 3 values"),
    (np.zeros((0, 1), np.float32), "has no samples"),
])
def test_bad_representative_data(models: dict, tmp_path: Path, data, complaint: str):
    if isinstance(data, bytes):
        (tmp_path / "calib.npy").write_bytes(data)
    else:
        np.save(tmp_path / "calib.npy", data)
    path = runefile(tmp_path, str(models["root"] / "saved"), "i8",
                    "quantize: int8\nrepresentative-data: ./calib.npy", quantized=True)
    assert complaint in compile_error(path)


@pytest.mark.parametrize("args, complaint", [
    ("quantize: int4\nrepresentative-data: ./calib.npy",
     'Expected `quantize` to be one of int8, but found "int4"'),
    ("quantize: int8", "needs `representative-data`"),
    ("representative-data: ./calib.npy", "only used together with `quantize: int8`"),
    ("quantize: int8\nrepresentative-data: ./missing.npy",
     'Unable to find the representative data "./missing.npy"'),
])
def test_conversion_arguments_are_checked(tmp_path: Path, args: str, complaint: str):
    np.save(tmp_path / "calib.npy", np.zeros((2, 1), np.float32))
    (tmp_path / "model.keras").write_bytes(b"")  # the frontend stops before reading it
    message = compile_error(runefile(tmp_path, "./model.keras", args=args))
    assert complaint in message


def test_conversion_arguments_need_format_tensorflow(tmp_path: Path):
    np.save(tmp_path / "calib.npy", np.zeros((2, 1), np.float32))
    path = runefile(tmp_path, "/work/shared/peer-suite/hotg-rune/examples/sine/sinemodel.tflite",
                    args="quantize: int8\nrepresentative-data: ./calib.npy")
    path.write_text(path.read_text().replace("format: tensorflow", "format: tensorflow-lite"))
    assert "`quantize` applies only to models with format tensorflow" in compile_error(path)


def test_quantizing_a_tflite_file_is_refused(tmp_path: Path):
    np.save(tmp_path / "calib.npy", np.zeros((2, 1), np.float32))
    path = runefile(tmp_path, "/work/shared/peer-suite/hotg-rune/examples/sine/sinemodel.tflite",
                    args="quantize: int8\nrepresentative-data: ./calib.npy")
    assert "needs a SavedModel directory or a Keras file" in compile_error(path)


def test_conversion_arguments_are_not_reported_unused(models: dict, tmp_path: Path):
    (tmp_path / "calib.npy").write_bytes((models["root"] / "calib.npy").read_bytes())
    path = runefile(tmp_path, str(models["root"] / "model.keras"), "i8",
                    "quantize: int8\nrepresentative-data: ./calib.npy\nbogus: 1", quantized=True)
    engine = DiagnosticEngine()
    run_frontend(path, engine)
    warnings = [str(d.message) for d in engine.diagnostics]
    assert warnings == ["Unused arguments for m: bogus"]
