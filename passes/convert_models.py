"""convert-models: TensorFlow SavedModel and Keras models become TFLite at compile time, so a
device only ever needs LiteRT.

A `rune.model` with format `tensorflow` whose source is a SavedModel directory (it holds
`saved_model.pb`) or a Keras file (`.keras`, `.h5`, `.hdf5`) is converted with TensorFlow's
`TFLiteConverter`, and the op is rewritten to format `tensorflow-lite` with the converted file as
its source, so infer-quantization, check-types and the packager see a TFLite model. With the model
arguments `quantize: int8` and `representative-data: FILE.npy` the conversion is full-integer int8
(int8 input and output tensors), calibrated on the samples in the file: an array shaped
(samples, ...) whose every sample holds as many values as the model's one input.

Anything else with format `tensorflow` (a `.tflite` file, say) is left as it is. Converted files
are cached by content: the key hashes the model's bytes, the options, the calibration data and the
TensorFlow version, and each file is written to a temporary name and renamed into place.
Directory: `$RUNE_CACHE_DIR/converted` if that is set (a temporary directory if it is empty or
`off`), else `$XDG_CACHE_HOME/rune/converted`, else `~/.cache/rune/converted`.

TensorFlow is an optional dependency, imported only when a conversion is needed (a cache miss).
Every failure is one StageError naming the model, never a traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from pathlib import Path

from rune.frontend import confine
from rune.ir import dialect as rd
from rune.passes.common import StageError
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

INSTALL_HINT = "pip install 'rune-compiler[tensorflow]'"
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
CACHE_VERSION = b"convert-models 1"


@dataclass(frozen=True)
class ConvertModelsPass(ModulePass):
    """Convert format-tensorflow SavedModel and Keras models to TFLite files."""

    name = "convert-models"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for stage in list(op.walk()):
            if isinstance(stage, rd.ModelOp) and stage.format.data == "tensorflow":
                _convert_stage(stage)


@dataclass(frozen=True)
class _Options:
    quantize: str | None = None
    representative_data: Path | None = None


def _options(stage: rd.ModelOp) -> _Options:
    args = stage.args.data if stage.args is not None else {}
    quantize = args.get("quantize")
    data = args.get("representative-data")
    return _Options(
        quantize.data if isinstance(quantize, StringAttr) else None,
        Path(data.data) if isinstance(data, StringAttr) else None,
    )


def model_kind(stage: str, path: Path) -> str | None:
    """"SavedModel" or "Keras" for a model this pass converts; None to leave it alone."""
    if path.is_dir():
        if any((path / name).is_file() for name in SAVED_MODEL_FILES):
            return "SavedModel"
        raise StageError(
            stage,
            f"model directory {path} is not a TensorFlow SavedModel: it has no saved_model.pb")
    if path.suffix.lower() in KERAS_SUFFIXES:
        _check_keras_file(stage, path)
        return "Keras"
    return None


def _check_keras_file(stage: str, path: Path) -> None:
    """Keras says "file not found" for a damaged file; say what is wrong instead."""
    try:
        head = confine.current().read_bytes(path)[:8]
    except confine.ConfinementError as exc:
        raise StageError(stage, str(exc)) from None
    if path.suffix.lower() == ".keras":
        ok, expected = head.startswith(b"PK"), "a zip archive"
    else:
        ok, expected = head == b"\x89HDF\r\n\x1a\n", "an HDF5 file"
    if not ok:
        raise StageError(stage, f"{path.name} is not a Keras model: it is not {expected}")


def _convert_stage(stage: rd.ModelOp) -> None:
    name = stage.stage_name
    options = _options(stage)
    source = stage.source.data
    kind = model_kind(name, Path(source)) if source else None
    if kind is None:
        if options.quantize is not None:
            what = Path(source).name if source else "a model with no file"
            raise StageError(
                name,
                f"`quantize` needs a SavedModel directory or a Keras file (.keras, .h5) to "
                f"convert, and model {name} is {what}")
        return
    path = Path(source)
    if not path.exists():
        raise StageError(name, f"model {path} does not exist")
    samples = _load_samples(name, options.representative_data) if options.quantize else None
    key = _cache_key(name, path, options, samples)
    target = _cached(key)
    if target is None:
        data = _convert(stage, path, kind, options, samples)
        target = _store(key, data)
    confine.current().trust(target)
    stage.properties["format"] = StringAttr("tensorflow-lite")
    stage.properties["source"] = StringAttr(str(target))
    kept = {k: v for k, v in stage.args.data.items() if k == "run"} if stage.args else {}
    if kept:  # `run` (compiled or handler) still matters to import-models
        stage.properties["args"] = DictionaryAttr(kept)
    else:
        stage.properties.pop("args", None)


# --- representative data ---------------------------------------------------------------------

def _load_samples(stage: str, file: Path | None):
    import numpy as np

    if file is None:
        raise StageError(stage, "int8 quantization needs `representative-data`")
    try:
        data = np.load(io.BytesIO(confine.current().read_bytes(file)), allow_pickle=False)
    except confine.ConfinementError as exc:
        raise StageError(stage, str(exc)) from None
    except (OSError, ValueError, EOFError) as exc:
        raise StageError(
            stage, f"representative data {file.name} is not a readable .npy file: {exc}"
        ) from None
    if not isinstance(data, np.ndarray):
        data.close()
        raise StageError(stage, f"representative data {file.name} must be one .npy array, "
                                "not an .npz archive")
    if data.ndim == 0 or data.shape[0] == 0:
        raise StageError(stage, f"representative data {file.name} has no samples: give an array "
                                "shaped (samples, ...)")
    if not (np.issubdtype(data.dtype, np.number) or data.dtype == np.bool_):
        raise StageError(stage, f"representative data {file.name} holds {data.dtype}, "
                                "not numbers")
    return data


# --- cache -----------------------------------------------------------------------------------

def cache_dir() -> Path:
    configured = os.environ.get("RUNE_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in ("", "off", "none"):
            return _temp_dir()
        return Path(configured) / "converted"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rune" / "converted"


_TEMP: list[Path] = []


def _temp_dir() -> Path:
    """A directory for this process only (cache off or unwritable): removed at exit."""
    if not _TEMP:
        _TEMP.append(Path(tempfile.mkdtemp(prefix="rune-converted-")))
        atexit.register(shutil.rmtree, _TEMP[0], True)
    return _TEMP[0]


def _tensorflow_version() -> str:
    import importlib.metadata  # 40 ms of a cold runec, needed only when a model is converted

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return f"{dist}-{importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "absent"


def _cache_key(stage: str, path: Path, options: _Options, samples) -> str:
    digest = hashlib.sha256(CACHE_VERSION + b"\0" + _tensorflow_version().encode() + b"\0")
    digest.update(f"quantize={options.quantize}\0".encode())
    confinement = confine.current()
    try:  # every file TensorFlow will read is checked here first
        files = confinement.directory_files(path) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
            digest.update(b"\0" + hashlib.sha256(confinement.read_bytes(file)).digest())
    except confine.ConfinementError as exc:
        raise StageError(stage, str(exc)) from None
    if samples is not None:
        digest.update(f"{samples.dtype.str}{samples.shape}".encode())
        digest.update(samples.tobytes())
    return digest.hexdigest()


def _cached(key: str) -> Path | None:
    for directory in (cache_dir(), *_TEMP):
        path = directory / f"{key}.tflite"
        if path.is_file():
            return path
    return None


def _store(key: str, data: bytes) -> Path:
    for directory in (cache_dir(), _temp_dir()):
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".tflite", dir=directory)
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, directory / f"{key}.tflite")
            return directory / f"{key}.tflite"
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    raise OSError("no writable directory for converted models")  # pragma: no cover


# --- conversion ------------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet() -> Iterator[io.StringIO]:
    """TensorFlow's prints and C++ logs go to a buffer, not the compiler's output."""
    log = io.StringIO()
    saved: list[tuple[int, int]] = []
    with tempfile.TemporaryFile() as sink:
        try:
            for fd in (1, 2):
                with contextlib.suppress(OSError):
                    saved.append((fd, os.dup(fd)))
                    for stream in (sys.__stdout__, sys.__stderr__):
                        with contextlib.suppress(Exception):
                            stream.flush()
                    os.dup2(sink.fileno(), fd)
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield log
        finally:
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            log.write(sink.read().decode(errors="replace"))


def _import_tensorflow(stage: str, kind: str):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        raise StageError(
            stage,
            f"model {stage} is a TensorFlow {kind} model, and converting it to TFLite needs "
            f"TensorFlow, which is not installed: {INSTALL_HINT}") from None
    except Exception as exc:  # a broken installation fails in many ways
        raise StageError(stage, f"TensorFlow failed to load ({_summary(exc)}); "
                                f"reinstall it: {INSTALL_HINT}") from None
    return tf


def _convert(stage: rd.ModelOp, path: Path, kind: str, options: _Options, samples) -> bytes:
    name = stage.stage_name
    with _quiet():
        tf = _import_tensorflow(name, kind)
        try:
            if kind == "Keras":
                model = tf.keras.models.load_model(path, compile=False)
                converter = tf.lite.TFLiteConverter.from_keras_model(model)
                specs = [(tuple(t.shape), t.dtype) for t in model.inputs]
            else:
                converter = tf.lite.TFLiteConverter.from_saved_model(str(path))
                specs = _saved_model_inputs(tf, path) if samples is not None else []
            if samples is not None:
                _quantize_int8(tf, converter, name, specs, samples, stage)
            return bytes(converter.convert())
        except StageError:
            raise
        except Exception as exc:
            raise StageError(
                name, f"cannot convert {kind} model {path.name} to TFLite: {_summary(exc)}"
            ) from None


def _saved_model_inputs(tf, path: Path) -> list[tuple[tuple, object]]:
    loaded = tf.saved_model.load(str(path))
    signatures = dict(loaded.signatures)
    if not signatures:
        return []
    signature = signatures.get("serving_default") or next(iter(signatures.values()))
    _, named = signature.structured_input_signature
    return [(tuple(spec.shape), spec.dtype) for spec in named.values()]


def _quantize_int8(tf, converter, name: str, specs, samples, stage: rd.ModelOp) -> None:
    import numpy as np

    if len(specs) > 1:
        raise StageError(name, f"representative data covers one input, but model {name} has "
                               f"{len(specs)}")
    if specs:
        shape = tuple(1 if d is None else int(d) for d in specs[0][0])
        dtype = np.dtype(getattr(specs[0][1], "as_numpy_dtype", np.float32))
    else:  # no signature to read: the Runefile's own declaration
        shape, dtype = tuple(stage.inputs[0].type.get_shape()), np.dtype(np.float32)
    per_sample = prod(samples.shape[1:])
    if per_sample != prod(shape):
        raise StageError(
            name,
            f"each representative sample has {per_sample} values (array shaped "
            f"{list(samples.shape)}), but the model's input takes {prod(shape)} "
            f"(shape {list(shape)})")

    def representative():
        for sample in samples:
            yield [np.asarray(sample, dtype=dtype).reshape(shape)]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def _summary(exc: BaseException) -> str:
    """The first few meaningful lines of an exception (converter errors run to pages)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = "; ".join(lines[:3]) or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."
