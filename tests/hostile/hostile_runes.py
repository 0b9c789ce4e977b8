"""Build hostile inputs for the tests: Runefiles with one value replaced, runes with a raw
manifest, all from the sine example."""

from __future__ import annotations

import shutil
from pathlib import Path

from rune.abi.container import _custom_section, read_rune

REPO = Path(__file__).resolve().parents[2]
SINE = REPO / "examples" / "sine"


def sine_project(folder: Path, replace: tuple[str, str] | None = None) -> Path:
    """A copy of examples/sine in `folder`, with one piece of the Runefile's text replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SINE / "sinemodel.tflite", folder)
    text = (SINE / "Runefile.yml").read_text()
    if replace is not None:
        assert replace[0] in text, replace
        text = text.replace(*replace)
    path = folder / "Runefile.yml"
    path.write_text(text)
    return path


def with_manifest(rune: bytes, manifest: bytes) -> bytes:
    """The rune's wasm and blobs with `manifest` as its raw rune.manifest bytes."""
    container = read_rune(rune)
    return b"".join((container.wasm, _custom_section("rune.manifest", manifest),
                     _custom_section("rune.blobs", bytes(container.blobs))))


def pad_model(pad: int) -> bytes:
    """A TFLite model f32[1, 1] -> PAD by `pad` on the last axis -> f32[1, 1 + pad]: one small
    file whose only intermediate LiteRT allocates at full size (a negative pad is refused by
    LiteRT at prepare, with a multi-line message)."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as s

    def tensor(shape: list[int], kind: int, buffer: int, name: str):
        t = s.TensorT()
        t.shape, t.type, t.buffer, t.name = shape, kind, buffer, name
        return t

    paddings = np.array([[0, 0], [0, pad]], np.int32).tobytes()
    buffers = [s.BufferT(), s.BufferT(), s.BufferT()]
    buffers[2].data = list(paddings)
    graph = s.SubGraphT()
    graph.tensors = [tensor([1, 1], s.TensorType.FLOAT32, 0, "x"),
                     tensor([1, max(1, 1 + pad)], s.TensorType.FLOAT32, 1, "y"),
                     tensor([2, 2], s.TensorType.INT32, 2, "paddings")]
    graph.inputs, graph.outputs = [0], [1]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 2], [1]
    graph.operators = [op]
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.PAD
    code.version = 1
    model = s.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


PAD_RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  x:
    capability: RAW
    outputs:
      - type: f32
        dimensions: [1, 1]
  pad:
    model: ./pad.tflite
    inputs: [x]
    outputs:
      - type: f32
        dimensions: [1, {size}]
  serial:
    out: serial
    inputs: [pad]
"""
