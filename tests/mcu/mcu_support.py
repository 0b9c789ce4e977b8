"""Shared pieces of the MCU tests: the runes they cover, compiling them with the real `runec`,
running them on both wasm hosts, and a model handler that returns canned outputs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rune.runtime import handlers as _handlers
from rune.runtime import sound
from rune.runtime.handlers import HandlerRegistry, ModelHandler
from rune.runtime.manifest import ModelSpec
from rune.tools.compiler import OPT_LEVEL_ENV

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RUNEFILES = HERE / "runefiles"
PEER = (REPO / ".." / "shared" / "peer-suite" / "hotg-rune").resolve()
RUN_PASS = PEER / "integration-tests" / "run-pass"
WORDS = ("up", "down", "left", "right")
SAMPLES = 16000  # one second at 16 kHz: the front end's input

#: proof -> the runes it covered in this session; conftest prints it after the run
COVERED: dict[str, list[str]] = {}


def covered(proof: str, rune: str) -> None:
    runes = COVERED.setdefault(proof, [])
    if rune not in runes:
        runes.append(rune)


@dataclass(frozen=True)
class Case:
    """One rune the wasm profile proof covers: its Runefile, inputs by capability stage, and
    the outputs it must give (from the peer suite's expected.stdout where there is one)."""

    name: str
    runefile: Path
    inputs: Mapping[str, Any]
    expected: list[list[Any]] | None = None  # per output stage: per slot, the elements


def peer_expected(case_dir: Path) -> list[list[Any]]:
    """The peer suite's expected.stdout as elements per output stage, in stage order."""
    raw = json.loads((case_dir / "expected.stdout").read_text())
    return [[tensor["elements"] for tensor in raw[key]] for key in sorted(raw, key=int)]


def wav_samples(path: Path, count: int = SAMPLES) -> np.ndarray:
    """The first `count` samples of a 16-bit mono WAV file, as i16 (the issue's definition of
    the front end's input)."""
    audio = sound.read_wav(path.read_bytes())
    assert audio.bits == 16 and audio.channels == 1 and audio.rate == 16000, audio.describe()
    samples = np.asarray(audio.samples[:count, 0], dtype="<i2")
    assert samples.size == count, f"{path} has only {samples.size} samples"
    return samples


def modulo_input() -> np.ndarray:
    """1024 f32 values with both signs, well past the modulus, and exact multiples of it."""
    rng = np.random.default_rng(7)
    values = rng.uniform(-5000.0, 5000.0, 1024).astype("<f4")
    values[:4] = [0.0, 360.0, -720.0, 359.5]
    return values


def wasm_cases() -> list[Case]:
    """Every rune the MVP profile proof runs on wasmtime and wasm3."""
    cases = [
        Case("example-sine", REPO / "examples" / "sine" / "Runefile.yml",
             {"angle": REPO / "examples" / "sine" / "input.bin"},
             [[[0.9612382]]]),  # 5*pi/2 wraps to pi/2; the model's sin(pi/2) is 0.9612382
        Case("sine", RUN_PASS / "sine" / "Runefile.yml", {"rand": RUN_PASS / "sine" / "input.bin"},
             peer_expected(RUN_PASS / "sine")),
        Case("noop", RUN_PASS / "noop" / "Runefile.yml", {"input": RUN_PASS / "noop" / "input.bin"},
             peer_expected(RUN_PASS / "noop")),
        Case("multiple-outputs", RUN_PASS / "multiple-outputs" / "Runefile.yml",
             {"byte_input": RUN_PASS / "multiple-outputs" / "input.bin",
              "integer_input": RUN_PASS / "multiple-outputs" / "input.bin"},
             peer_expected(RUN_PASS / "multiple-outputs")),
        Case("modulo1024", RUNEFILES / "modulo1024" / "Runefile.yml",
             {"values": modulo_input()},
             [[np.fmod(modulo_input(), np.float32(360.0)).tolist()]]),
        Case("front-end-up", RUNEFILES / "front_end" / "Runefile.yml",
             {"audio": wav_samples(RUN_PASS / "microspeech-up" / "up.wav")}),
    ]
    for word in WORDS:
        case_dir = RUN_PASS / f"microspeech-{word}"
        cases.append(Case(f"microspeech-{word}", case_dir / "Runefile.yml",
                          {"audio": case_dir / f"{word}.wav"}, peer_expected(case_dir)))
    return cases


# -- compiling with the real command line -----------------------------------------------------


@dataclass
class Compiled:
    returncode: int
    stderr: str
    path: Path

    def check(self) -> Path:
        assert self.returncode == 0, f"runec failed for {self.path.name}:\n{self.stderr}"
        return self.path


def runec(runefile: Path, out: Path, target: str, emit: str = "rune", *flags: str) -> Compiled:
    """Each target at its own default level (-O2 with SIMD, -Os for MCUs): what these tests are
    about, so a suite-wide RUNE_OPT_LEVEL does not apply here."""
    env = {k: v for k, v in os.environ.items() if k != OPT_LEVEL_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "rune.tools.runec", str(runefile), f"--target={target}",
         f"--emit={emit}", "-o", str(out), *flags],
        capture_output=True, text=True, cwd=REPO, env=env,
    )
    return Compiled(result.returncode, result.stderr, out)


def runec_many(jobs: Iterable[tuple]) -> list[Compiled]:
    """runec(*job) for each job, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda job: runec(*job), jobs))


# -- comparing outputs --------------------------------------------------------------------------


def plain(outputs: Sequence[Any]) -> list[tuple[str, list[tuple[str, tuple[int, ...], Any]]]]:
    """A run's outputs as plain values, so two hosts' results compare with ==: per stage its
    name and per slot (element type, shape, raw little-endian bytes or the strings)."""
    result = []
    for output in outputs:
        slots = []
        for tensor in output.tensors:
            data = tensor.data if hasattr(tensor, "data") else tensor  # a bare list of strings
            if isinstance(data, list):
                slots.append(("utf8", (len(data),), list(data)))
            else:
                array = np.asarray(data)
                slots.append((array.dtype.str, array.shape, array.astype(
                    array.dtype.newbyteorder("<")).tobytes()))
        result.append((output.name, slots))
    return result


def elements(outputs: Sequence[Any]) -> list[list[Any]]:
    """Per output stage, per slot: the elements as a flat Python list."""
    found = []
    for output in outputs:
        slots = []
        for tensor in output.tensors:
            data = tensor.data if hasattr(tensor, "data") else tensor
            slots.append(list(data) if isinstance(data, list)
                         else np.asarray(data).reshape(-1).tolist())
        found.append(slots)
    return found


def same_elements(got: list[list[Any]], want: list[list[Any]], rel_tol: float = 1e-7) -> bool:
    """Exact for integers and strings; floats to the 8 significant digits the peer suite
    prints (or to `rel_tol`)."""
    if len(got) != len(want) or any(len(g) != len(w) for g, w in zip(got, want, strict=True)):
        return False
    for got_slot, want_slot in zip(got, want, strict=True):
        for g_slot, w_slot in zip(got_slot, want_slot, strict=True):
            if len(g_slot) != len(w_slot):
                return False
            for g, w in zip(g_slot, w_slot, strict=True):
                if isinstance(w, float) and not math.isclose(g, w, rel_tol=rel_tol, abs_tol=0.0):
                    return False
                if not isinstance(w, float) and g != w:
                    return False
    return True


# -- a model that returns canned outputs (what the native harness does) -----------------------


@dataclass
class CannedModel:
    """Records every input it is given and returns the same canned bytes every time."""

    outputs_bytes: Sequence[bytes]
    seen: list[bytes] = field(default_factory=list)
    inputs: None = None
    outputs: None = None

    def set_input(self, slot: int, data: Any) -> None:
        self.seen.append(np.ascontiguousarray(data).tobytes())

    def invoke(self) -> None:
        pass

    def get_output(self, slot: int) -> bytes:
        return self.outputs_bytes[slot]


def canned_handlers(models: list[CannedModel]) -> HandlerRegistry:
    """A registry whose TFLite factory hands out `models` in the order the rune loads them."""
    registry = _handlers.default_registry.copy()
    queue = list(models)

    def factory(blob: memoryview, spec: ModelSpec) -> ModelHandler:
        return queue.pop(0)

    registry.register("tensorflow-lite", factory, replace=True)
    return registry
