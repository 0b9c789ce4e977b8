"""Fuzz targets: each takes bytes and either succeeds or fails the clean way (the error a user
sees as one `error:` line), and returns which ("refused", "compiled", "ran", ...). Anything else
it raises is a finding; so is a native crash, a hang or a memory overrun, which the driver
(campaign.py) sees from outside the worker process.

Targets run in a scratch working directory the driver chooses (never the repository), which
holds a copy of the sine model for Runefiles to name and a `secret.txt` no model may read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SINE_MODEL = REPO / "examples" / "sine" / "sinemodel.tflite"
SECRET = b"rune-fuzz-secret-bytes\n"


class Finding(Exception):
    """Not a crash of the target, but a result it must never produce."""


def setup_workdir(directory: Path) -> None:
    """What every target expects in its working directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sinemodel.tflite").write_bytes(SINE_MODEL.read_bytes())
    (directory / "labels.txt").write_text("a\nb\nc\n")
    (directory / "secret.txt").write_bytes(SECRET)


def runefile(data: bytes) -> str:
    """The compiler from Runefile text to the lowered module (no LLVM: throughput)."""
    from rune.frontend.diagnostics import DiagnosticError
    from rune.tools.compiler import CompileOptions, compile_runefile

    project = Path("project")
    project.mkdir(exist_ok=True)
    for name in ("sinemodel.tflite", "labels.txt"):
        if not (project / name).exists():
            os.link(name, project / name)
    path = project / "Runefile.yml"
    path.write_bytes(data)
    try:
        compile_runefile(path, "llvm-dialect",
                         CompileOptions(opt_level="0", allow_custom_blocks=False))
    except DiagnosticError:
        return "refused"
    return "compiled"


def rune_loader(data: bytes) -> str:
    """`Rune.load` and one run, under small limits, with zero-filled inputs."""
    from rune.runtime.errors import RuneError
    from rune.runtime.host import Rune
    from rune.runtime.limits import Limits

    limits = Limits(memory_bytes=256 << 20, deadline_s=2.0, max_model_bytes=16 << 20,
                    max_tensor_bytes=16 << 20)
    try:
        rune = Rune.load(data, limits=limits, cache_dir=None)
    except RuneError:
        return "refused"
    try:
        inputs = {c.name: np.zeros(c.tensor.nbytes, np.uint8) for c in rune.manifest.capabilities}
        rune.run(inputs)
    except RuneError:
        return "loaded, run refused"
    return "ran"


def tflite(data: bytes) -> str:
    """The graph verifier, and LiteRT on whatever it accepts: an error is fine, a crash not."""
    from ai_edge_litert.interpreter import Interpreter
    from rune.runtime.models.errors import ModelFormatError
    from rune.runtime.models.tflite_graph import verify_tflite_graph

    try:
        verify_tflite_graph(data)
    except ModelFormatError:
        return "refused"
    try:
        interpreter = Interpreter(model_content=data, num_threads=1)
        interpreter.allocate_tensors()
        for detail in interpreter.get_input_details():
            interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        interpreter.invoke()
        for detail in interpreter.get_output_details():
            interpreter.get_tensor(detail["index"])
    except ValueError as exc:
        if "Tensor data is null" in str(exc):
            raise Finding(f"the verifier accepted a model whose output is never written: {exc}") \
                from None
        return "accepted, LiteRT refused"
    except RuntimeError:
        return "accepted, LiteRT refused"
    return "accepted, ran on LiteRT"


def onnx(data: bytes) -> str:
    """The ONNX checks, and onnxruntime on whatever they accept; no file of ours may leak."""
    import onnxruntime as ort
    from rune.runtime.models.errors import ModelFormatError
    from rune.runtime.models.onnx_rules import check_onnx

    try:
        check_onnx(data)
    except ModelFormatError:
        return "refused"
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        feeds = {}
        for i in session.get_inputs():
            shape = [d if isinstance(d, int) and 0 <= d <= 64 else 1 for d in i.shape]
            dtype = np.float32 if "float" in i.type else np.int64 if "int64" in i.type else np.int32
            feeds[i.name] = np.zeros(shape, dtype)
        outputs = session.run(None, feeds)
    except Exception:  # onnxruntime's own exception types: a clean refusal
        return "accepted, onnxruntime refused"
    for value in outputs:
        if isinstance(value, np.ndarray) and SECRET[:8] in value.tobytes():
            raise Finding("a model read secret.txt from the working directory")
    return "accepted, ran on onnxruntime"


def decoders(data: bytes) -> str:
    """WAV, PNG/JPEG and CSV inputs as `rune run` decodes them: header checks before any
    allocation, then the decoded array."""
    from rune.runtime import accel, image, sound
    from rune.runtime.errors import RuneError

    clean = (sound.WavError, image.ImageError, accel.CsvError, RuneError)
    decoded = []
    for name, decode in (("wav", sound.read_wav), ("image", image.decode),
                         ("csv", accel.read_csv)):
        try:
            decode(data)
            decoded.append(name)
        except clean:
            pass
    return f"decoded as {'+'.join(decoded)}" if decoded else "refused"


TARGETS: dict[str, Callable[[bytes], str]] = {
    "runefile": runefile, "rune": rune_loader, "tflite": tflite, "onnx": onnx,
    "decoders": decoders,
}
#: Seconds one input may take, and RSS (MiB) the worker may reach, per target.
TIMEOUTS = {"runefile": 20, "rune": 20, "tflite": 10, "onnx": 10, "decoders": 10}
RSS_LIMIT_MB = 2048
