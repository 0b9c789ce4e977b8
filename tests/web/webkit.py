"""What tests/web needs from the Python side: the web package built, the cases (every run-pass
case of the peer suite, every example run, and generated inputs that exercise resampling,
resizing and RAND), each compiled once and run by the Python host, which records its outputs and
every model call. The JavaScript side (web/test) runs the same cases and hands back its JSON.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from onnx import TensorProto, helper
from PIL import Image
from rune.abi.container import read_rune, write_rune
from rune.runtime import Rune
from rune.runtime.capabilities import assign_sources, group_of
from rune.runtime.handlers import HandlerRegistry, default_registry
from rune.runtime.outputs import render_json

from tests.peer.harness import EXAMPLES, INTEGRATION, REPO, Toolbox, load_divergences
from tests.runtime.media import wav_bytes
from tests.runtime.runekit import model_rune

WEB = REPO / "web"
NODE_CASES = WEB / "dist" / "test" / "node-cases.mjs"
CLI = WEB / "dist" / "cli.mjs"
BROWSER = WEB / "test" / "browser.mjs"
CHROMIUM = Path("/usr/bin/chromium")


def build_web() -> None:
    """`make web`: npm ci when the lockfile changed, the ABI table, the bundles."""
    subprocess.run(["make", "-s", "web"], cwd=REPO, check=True, timeout=600)


@dataclass
class Case:
    id: str
    runefile: Path | None  # None: `rune` is made by the test
    files: list[Path]
    seed: int = 0
    needs_jspi: bool = False  # an asynchronous model handler (onnxruntime-web)
    rune: Path | None = None
    expected: str = ""
    models: list[list[dict[str, list[str]]]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "rune": str(self.rune), "files": [str(f) for f in self.files],
                "seed": self.seed, "expected": self.expected, "models": self.models}  # fmt: skip


# -- the cases --------------------------------------------------------------------------------


def peer_cases() -> list[Case]:
    """Every run-pass case the Python host runs (the intended divergences do not compile), with
    its fixtures in name order, as tests/peer passes them."""
    divergent = set(load_divergences()["divergence"])
    cases = []
    for folder in sorted((INTEGRATION / "run-pass").iterdir()):
        if (folder / "Runefile.yml").is_file() and f"run-pass/{folder.name}" not in divergent:
            fixtures = sorted(p for p in folder.iterdir()
                              if p.suffix in (".bin", ".wav", ".png", ".jpg", ".csv"))  # fmt: skip
            cases.append(Case(f"run-pass/{folder.name}", folder / "Runefile.yml", fixtures))
    return cases


def example_cases(scratch: Path) -> list[Case]:
    """Every example run of tests/peer (same inputs) and of this repository's examples."""
    ms, pd = EXAMPLES / "microspeech", EXAMPLES / "person_detection"
    st = EXAMPLES / "style_transfer"
    angle = scratch / "angle.bin"
    angle.write_bytes(struct.pack("<f", 0.8))
    ints = scratch / "ints.bin"
    ints.write_bytes(struct.pack("<4i", 7, -1, 2**31 - 1, -(2**31)))
    cases = [Case(f"examples/microspeech:{w.relative_to(ms)}", ms / "Runefile.yml", [w])
             for w in sorted((ms / "data").rglob("*.wav"))]  # fmt: skip
    cases += [Case(f"examples/gesture:{c.name}", EXAMPLES / "gesture" / "Runefile.yml", [c])
              for c in sorted((EXAMPLES / "gesture").glob("example_[rsw]*.csv"))]  # fmt: skip
    cases += [Case(f"examples/person_detection:{p.name}", pd / "Runefile.yml", [p])
              for p in sorted(pd.glob("*.png"))]  # fmt: skip
    cases += [
        Case("examples/style_transfer:content+style", st / "Runefile.yml",
             [st / "content.jpg", st / "style.jpg"]),
        Case("examples/sine", EXAMPLES / "sine" / "Runefile.yml", [angle]),
        Case("examples/noop", EXAMPLES / "noop" / "Runefile.yml", [ints]),
        Case("repo/examples/sine", REPO / "examples" / "sine" / "Runefile.yml",
             [REPO / "examples" / "sine" / "input.bin"]),
        Case("repo/examples/custom_block", REPO / "examples" / "custom_block" / "Runefile.yml",
             [REPO / "examples" / "custom_block" / "input.bin"]),
    ]  # fmt: skip
    return cases


RAND_RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  floats:
    capability: RAND
    outputs: [{type: f32, dimensions: [3, 5]}]
  bytes:
    capability: RAND
    outputs: [{type: i8, dimensions: [7]}]
  halves:
    capability: RAND
    outputs: [{type: u16, dimensions: [5]}]
  doubles:
    capability: RAND
    outputs: [{type: f64, dimensions: [2]}]
  wrapped:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#modulo"
    inputs: [floats]
    outputs: [{type: f32, dimensions: [3, 5]}]
    args: {modulus: 0.25}
  serial:
    out: serial
    inputs: [wrapped, bytes, halves, doubles]
"""


def generated_cases(scratch: Path) -> list[Case]:
    """Inputs that take the conversion paths: WAVs at other rates, widths and channel counts
    (resampling), images of other sizes and modes (Catmull-Rom resize, gray/palette/16-bit
    decoding), and RAND of several element types under two seeds."""
    up = INTEGRATION / "run-pass" / "microspeech-up" / "up.wav"
    rate, samples = 16000, np.frombuffer(up.read_bytes()[44:], "<i2").astype(np.float64) / 32768
    ms = EXAMPLES / "microspeech" / "Runefile.yml"
    cases = []
    for name, new_rate, bits, floats, channels in (
        ("up-44100-stereo-24bit.wav", 44100, 24, False, 2),
        ("up-48000-float.wav", 48000, 32, True, 1),
        ("up-8000-8bit.wav", 8000, 8, False, 1),
    ):
        t = np.arange(int(len(samples) * new_rate / rate)) * rate / new_rate
        x = np.interp(t, np.arange(len(samples)), samples)  # any resampling will do
        if floats:
            data = x
        elif bits == 8:
            data = np.clip(np.round(x * 127 + 128), 0, 255)
        else:
            data = np.round(x * (2 ** (bits - 1) - 1))
        if channels == 2:
            data = np.stack([data, data * 0.5], axis=1)
        path = scratch / name
        path.write_bytes(wav_bytes(data, new_rate, bits, floats=floats))
        cases.append(Case(f"generated/microspeech:{name}", ms, [path]))
    person = np.asarray(Image.open(EXAMPLES / "person_detection" / "image.png").convert("RGB"))
    pd = EXAMPLES / "person_detection" / "Runefile.yml"
    big = Image.fromarray(person).resize((150, 131), Image.Resampling.BICUBIC)
    images = {
        "person-150x131-rgb.png": big,
        "person-150x131-gray.png": big.convert("L"),
        "person-150x131-palette.png": big.convert("P", palette=Image.Palette.ADAPTIVE),
        "person-70x64-gray16.png": Image.fromarray(
            np.asarray(big.convert("L").resize((70, 64))).astype(np.uint16) * 257 + 3),
    }  # fmt: skip
    for name, img in images.items():
        buffer = io.BytesIO()
        img.save(buffer, format="PNG")
        (scratch / name).write_bytes(buffer.getvalue())
        cases.append(Case(f"generated/person_detection:{name}", pd, [scratch / name]))
    rand = scratch / "rand" / "Runefile.yml"
    rand.parent.mkdir(exist_ok=True)
    rand.write_text(RAND_RUNEFILE, encoding="utf-8")
    for seed in (0, 7):
        cases.append(Case(f"generated/rand:seed={seed}", rand, [], seed=seed))
    noop = INTEGRATION / "compile-pass" / "noop" / "Runefile.yml"
    cases.append(Case("compile-pass/noop:seed=3", noop, [], seed=3))
    cases.append(onnx_case(scratch))
    return cases


def onnx_case(scratch: Path) -> Case:
    """An ONNX model (MatMul, Add, Tanh on f32[1,8] -> f32[1,3]) in a hand-written rune."""
    rng = np.random.default_rng(11)
    weights = helper.make_tensor("w", TensorProto.FLOAT, [8, 3], rng.normal(size=24).tolist())
    bias = helper.make_tensor("b", TensorProto.FLOAT, [3], rng.normal(size=3).tolist())
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Tanh", ["z"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "dense", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        initializer=[weights, bias],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    rune = scratch / "onnx-dense.rune"
    rune.write_bytes(model_rune("onnx", model.SerializeToString(), "f32", [1, 8], [1, 3]))
    data = scratch / "onnx-input.bin"
    data.write_bytes(rng.normal(size=8).astype("<f4").tobytes())
    case = Case("generated/onnx:dense", None, [data], needs_jspi=True)
    case.rune = rune
    return case


# -- the Python host's side ---------------------------------------------------------------------


def _b64(data: Any) -> str:
    return base64.b64encode(np.ascontiguousarray(data).tobytes()).decode("ascii")


class _Recorder:
    """Wraps a handler: records what goes in and out of every invoke, for the replay."""

    def __init__(self, inner: Any, calls: list[dict[str, list[str]]], n_in: int) -> None:
        self._inner, self._calls, self._n_in = inner, calls, n_in
        self._inputs: dict[int, str] = {}
        for name in ("inputs", "outputs"):
            if hasattr(inner, name):
                setattr(self, name, getattr(inner, name))

    def set_input(self, slot: int, data: Any) -> None:
        self._inputs[slot] = _b64(data)
        self._inner.set_input(slot, data)

    def invoke(self) -> None:
        self._inner.invoke()
        self._calls.append({"inputs": [self._inputs[i] for i in range(self._n_in)], "outputs": []})

    def get_output(self, slot: int) -> Any:
        data = self._inner.get_output(slot)
        outputs = self._calls[-1]["outputs"]
        outputs.extend([""] * (slot + 1 - len(outputs)))
        outputs[slot] = _b64(data)
        return data


def record(case: Case) -> None:
    """Run the case on the Python host; keep its JSON and every model call."""
    registry = HandlerRegistry()
    calls: list[list[dict[str, list[str]]]] = []

    def recording(fmt: str) -> Any:
        def factory(model: memoryview, spec: Any) -> Any:
            inner = default_registry.factory(spec)(model, spec)
            calls.append([])
            return _Recorder(inner, calls[spec.index], len(spec.inputs))

        return factory

    for fmt in default_registry.formats:
        registry.register(fmt, recording(fmt))
    rune = Rune.load(case.rune, seed=case.seed, handlers=registry, cache_dir=None)
    sources: dict[str, list[Any]] = {}
    for path in case.files:
        sources.setdefault(group_of(path), []).append(path)
    outputs = rune.run(assign_sources(rune.manifest, sources))
    case.expected = render_json(outputs)
    case.models = calls


def prepare(cases: list[Case], tools: Toolbox, out: Path) -> Path:
    """Compile and record every case; write the cases file the JavaScript side reads."""
    for case in cases:
        if case.runefile is not None:
            case.rune = tools.compile(case.runefile).ok()
        record(case)
    path = out / "cases.json"
    path.write_text(json.dumps([c.to_json() for c in cases]), encoding="utf-8")
    return path


# -- bad runes, capture devices, the browser run ------------------------------------------------

#: A module whose `rune_run` loops forever, `() -> i32 { loop { br 0 } }`, with one page of memory.
FOREVER_WASM = bytes.fromhex(
    "0061736d 01000000"  # header
    "01 05 01 60 00 01 7f"  # types: () -> i32
    "03 02 01 00"  # function 0 has type 0
    "05 03 01 00 01"  # one memory of 1 page
    "07 15 02 06 6d656d6f7279 02 00 08 72756e655f72756e 00 00"  # export memory, rune_run
    "0a 0b 01 09 00 03 40 0c 00 0b 41 00 0b"  # loop br 0 end; i32.const 0
)


def bad_runes(good: Path, out: Path) -> dict[str, Path]:
    """A rune of a future ABI, one needing a capability no host has, one that never returns."""
    container = read_rune(good.read_bytes())
    made = {}
    for name, change in (
        ("wrongAbi", lambda m: m.update(abi_version=2)),
        ("unknownCapability", lambda m: m["capabilities"][0].update(kind="TEMPERATURE")),
    ):
        manifest = json.loads(json.dumps(container.manifest))
        change(manifest)
        made[name] = out / f"{name}.rune"
        made[name].write_bytes(write_rune(container.wasm, manifest, bytes(container.blobs)))
    forever = {"abi_version": 1, "name": "forever", "tensors": [], "capabilities": [],
               "models": [], "outputs": []}  # fmt: skip
    made["forever"] = out / "forever.rune"
    made["forever"].write_bytes(write_rune(FOREVER_WASM, forever, b""))
    return made


def y4m(png: Path, out: Path, frames: int = 30) -> Path:
    """A Y4M video (4:2:0, full-range BT.601) of the image, for Chromium's fake camera."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.float64)
    h, w = rgb.shape[:2]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    sub = lambda c: c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))  # noqa: E731
    planes = [np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in (y, sub(u), sub(v))]
    frame = b"FRAME\n" + b"".join(planes)
    out.write_bytes(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return out


def run_browser(scratch: Path, cases: dict[str, Case], screenshot: Path) -> dict[str, Any]:
    """One Chromium session: every case, the bad runes, microphone, camera, DeviceMotion and
    the demo."""
    sine = cases["run-pass/sine"]
    micro = cases["run-pass/microspeech-up"]
    person = cases["examples/person_detection:image.png"]
    ring = cases["examples/gesture:example_ring.csv"]
    bad = bad_runes(sine.rune, scratch)
    allowed = {str(p) for c in cases.values() for p in [c.rune, *c.files]}
    allowed |= {str(p) for p in bad.values()}
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "cases": str(scratch / "cases.json"),
        "allowed": sorted(allowed),
        "chromium": str(CHROMIUM),
        "bad": {"good": str(sine.rune), "goodInput": str(sine.files[0]),
                **{k: str(v) for k, v in bad.items()}},
        "microphone": {"wav": str(micro.files[0]), "rune": str(micro.rune), "ms": 3000},
        "camera": {"y4m": str(y4m(person.files[0], scratch / "person.y4m")),
                   "rune": str(person.rune)},
        "motion": {"rune": str(ring.rune), "csv": str(ring.files[0])},
        "demo": {"rune": str(micro.rune), "inputs": [str(micro.files[0])],
                 "screenshot": str(screenshot)},
    }  # fmt: skip
    config_path, out = scratch / "browser-config.json", scratch / "browser-results.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    subprocess.run(["node", str(BROWSER), str(config_path), str(out)], check=True, timeout=1800)
    return json.loads(out.read_text(encoding="utf-8"))
