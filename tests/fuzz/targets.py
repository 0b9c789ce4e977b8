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
    from rune.abi.models.errors import ModelFormatError
    from rune.abi.models.tflite_graph import verify_tflite_graph

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
    from rune.abi.models.errors import ModelFormatError
    from rune.abi.models.onnx_rules import check_onnx

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


def tflite_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """A structure-aware mutation for the tflite target: one change to the graph that keeps the
    FlatBuffer well formed (an operand index, an opcode, a dimension, a type, weight bytes, a
    stride, a graph output, an operator dropped), so inputs reach the verifier's graph rules and,
    when it accepts them, LiteRT. Every other time libFuzzer's byte-level mutation."""
    import random

    import atheris
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    rng = random.Random(seed)
    if rng.random() < 0.5:
        return atheris.Mutate(data, max_size)
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
        graph = model.subgraphs[0]
        _mutate_graph(rng, model, graph)
        builder = flatbuffers.Builder(len(data) + 1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        out = bytes(builder.Output())
    except Exception:  # not a model the object API reads: mutate the bytes instead
        return atheris.Mutate(data, max_size)
    return out if len(out) <= max_size else data


def _mutate_graph(rng, model, graph) -> None:
    tensors, ops = graph.tensors or [], graph.operators or []
    choice = rng.randrange(8)
    if choice == 0 and ops:
        op = rng.choice(ops)
        operands = op.inputs if rng.random() < 0.7 or op.outputs is None else op.outputs
        if operands is not None and len(operands):
            operands[rng.randrange(len(operands))] = rng.randrange(-1, len(tensors))
    elif choice == 1 and ops:
        rng.choice(ops).opcodeIndex = rng.randrange(len(model.operatorCodes))
    elif choice == 2 and tensors:
        tensor = rng.choice(tensors)
        if tensor.shape is not None and len(tensor.shape):
            i = rng.randrange(len(tensor.shape))
            tensor.shape[i] = rng.choice([0, 1, 2, 3, tensor.shape[i] * 2, tensor.shape[i] // 2])
    elif choice == 3 and tensors:
        rng.choice(tensors).type = rng.choice([0, 1, 2, 3, 4, 6, 7, 9])
    elif choice == 4:
        full = [b for b in model.buffers if b.data is not None and len(b.data)]
        if full:
            buffer = rng.choice(full)
            for _ in range(rng.randint(1, 8)):
                buffer.data[rng.randrange(len(buffer.data))] = rng.randrange(256)
    elif choice == 5 and ops:
        options = rng.choice(ops).builtinOptions
        for name in ("strideW", "strideH", "dilationWFactor", "dilationHFactor", "filterWidth",
                     "filterHeight", "padding", "axis", "depthMultiplier", "keepNumDims"):
            if options is not None and hasattr(options, name) and rng.random() < 0.5:
                setattr(options, name, rng.choice([0, 1, 2, 3, -1, 7]))
    elif choice == 6 and graph.outputs is not None and len(graph.outputs):
        graph.outputs[rng.randrange(len(graph.outputs))] = rng.randrange(len(tensors) or 1)
    elif ops:
        ops.pop(rng.randrange(len(ops)))
