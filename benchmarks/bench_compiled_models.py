"""Models compiled into the rune against LiteRT.

    python benchmarks/bench_compiled_models.py [--runs N]

1. Each peer-suite model alone: a rune (RAW -> model -> serial, `--models=compiled`) against
   LiteRT's default kernels (XNNPACK) in this process, both on one thread, same inputs, medians
   of alternating runs. The rune's time includes copying its input in and its output out.
2. The whole microspeech rune (front end, model, label) compiled against the same rune with the
   model on the host's LiteRT handler (XNNPACK), on the four recordings, one rune after the
   other (alternating single runs of two runes measured 3x slower for the compiled rune than
   either alone: cache effects of interleaving, not the rune).
3. Issue 11's two speed goals against those figures.
The whole-pipeline arena against the kernels' and the model's own is benchmarks/bench_memory.py's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from rune.abi.models.tflite_format import read_tflite
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PEER, table  # noqa: E402

EXAMPLES = PEER / "examples"
RUN_PASS = PEER / "integration-tests" / "run-pass"
MODELS = {  # name -> model file (style transfer: minutes to compile, left out)
    "sine (f32)": EXAMPLES / "sine" / "sinemodel.tflite",
    "microspeech (i8)": EXAMPLES / "microspeech" / "model.tflite",
    "gesture (f32)": EXAMPLES / "gesture" / "model.tflite",
    "person_detection (u8)": EXAMPLES / "person_detection" / "model.tflite",
}
WORDS = ("up", "down", "left", "right")
GOAL_PERSON_RATIO = 1.5  # issue 11: person_detection's model within 1.5x of LiteRT native


def model_runefile(folder: Path, model: Path) -> Path:
    """RAW inputs -> the model -> serial, with the model's own tensor types."""
    info = read_tflite(model.read_bytes())
    types = {"i8": "I8", "u8": "U8", "f32": "F32"}

    def outputs(tensors) -> str:
        return "".join(f"\n      - type: {types[t.element_type]}\n        dimensions: "
                       f"{list(t.shape)}" for t in tensors)

    lines = ["version: 1", "image: runicos/base", "pipeline:"]
    for i, t in enumerate(info.inputs):
        lines.append(f"  x{i}:\n    capability: RAW\n    outputs:{outputs([t])}")
    inputs = "".join(f"\n      - x{i}" for i in range(len(info.inputs)))
    lines.append(f"  model:\n    model: {model}\n    inputs:{inputs}\n    outputs:"
                 f"{outputs(info.outputs)}")
    lines.append("  serial:\n    out: serial\n    inputs:\n      - model")
    path = folder / "Runefile.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def compile_rune(runefile: Path, models: str) -> Rune:
    return Rune.load(compile_runefile(runefile, "rune", CompileOptions(models=models,
                                                                       allow_paths=(PEER,))))


def alternate(first, second, runs: int) -> tuple[float, float]:
    """Median seconds of each, run in alternation so both see the same machine load."""
    a, b = [], []
    for _ in range(max(3, runs // 10)):
        first()
        second()
    for _ in range(runs):
        start = time.perf_counter()
        first()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        second()
        b.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def bench_models(runs: int) -> list[list[str]]:
    rows = []
    for name, path in MODELS.items():
        with tempfile.TemporaryDirectory() as tmp:
            rune = compile_rune(model_runefile(Path(tmp), path), "compiled")
        info = read_tflite(path.read_bytes())
        rng = np.random.default_rng(0)
        inputs = []
        for t in info.inputs:
            dtype = {"i8": np.int8, "u8": np.uint8, "f32": np.float32}[t.element_type]
            inputs.append((rng.uniform(-1, 1, t.shape) if dtype == np.float32 else
                           rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, t.shape)
                           ).astype(dtype))
        interpreter = Interpreter(model_content=path.read_bytes(), num_threads=1)
        interpreter.allocate_tensors()
        details = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        feed = {f"x{i}": v for i, v in enumerate(inputs)}

        def litert(interpreter=interpreter, details=details, outputs=outputs, inputs=inputs):
            for d, v in zip(details, inputs, strict=True):
                interpreter.set_tensor(d["index"], v)
            interpreter.invoke()
            return [interpreter.get_tensor(o["index"]) for o in outputs]

        compiled, native = alternate(lambda rune=rune, feed=feed: rune.run(feed), litert, runs)
        rows.append([name, f"{compiled * 1e6:,.0f}", f"{native * 1e6:,.0f}",
                     f"{compiled / native:.2f}x"])
    return rows


def samples(word: str) -> np.ndarray:
    with wave.open(str(RUN_PASS / f"microspeech-{word}" / f"{word}.wav")) as wav:
        return np.frombuffer(wav.readframes(16000), dtype="<i2").reshape(1, 16000)


def bench_microspeech(runs: int) -> list[str]:
    runefile = RUN_PASS / "microspeech-up" / "Runefile.yml"
    compiled, handler = compile_rune(runefile, "compiled"), compile_rune(runefile, "handler")
    audio = [{"audio": samples(w)} for w in WORDS]
    for word, feed in zip(WORDS, audio, strict=True):
        labels = {r.run(feed)[0].tensors[0].data[0] for r in (compiled, handler)}
        assert labels == {word}, (word, labels)

    def per_recording(rune) -> float:
        """Median of single runs, recording after recording (after a warm-up)."""
        times = []
        for feed in audio * max(1, runs // 8):
            rune.run(feed)
        for feed in audio * max(5, runs // 4):
            start = time.perf_counter()
            rune.run(feed)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    c, h = per_recording(compiled), per_recording(handler)
    row = ["microspeech rune (4 recordings)", f"{c * 1e6:,.0f}", f"{h * 1e6:,.0f}",
           f"{h / c:.2f}x"]
    return row


def goals(rows: list[list[str]], microspeech: list[str]) -> list[list[str]]:
    """Issue 11's two speed goals against what was measured above."""
    person = next(r for r in rows if r[0].startswith("person_detection"))
    ratio = float(person[3].rstrip("x"))
    compiled, handler = (float(v.replace(",", "")) for v in microspeech[1:3])
    return [["microspeech rune: compiled faster end to end than handler",
             f"{compiled:,.0f} vs {handler:,.0f} µs", "met" if compiled < handler else "not met"],
            ["person_detection model within 1.5x of LiteRT (XNNPACK, 1 thread)",
             f"{ratio:.2f}x", "met" if ratio <= GOAL_PERSON_RATIO else "not met"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    rows = bench_models(runs)
    print("Each model alone, µs per inference (median; LiteRT: XNNPACK, 1 thread)\n")
    print(table(["model", "compiled rune", "LiteRT", "rune / LiteRT"], rows))
    row = bench_microspeech(runs)
    print("\nWhole microspeech rune, µs per recording (median)\n")
    print(table(["rune", "model compiled", "model on LiteRT handler", "speed-up"], [row]))
    print("\nGoals (issue 11)\n")
    print(table(["goal", "measured", "status"], goals(rows, row)))


if __name__ == "__main__":
    main()
