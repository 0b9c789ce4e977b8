"""The TypeScript host's figures: per-inference medians of the sine, microspeech and
person_detection runes in Chromium, in Node and in the Python host, measured in one run on this
machine, and the gzip size of the browser runtime without and with the TFLite handler.

    python benchmarks/web/bench_web.py [--blocks N]      (needs `make web`)

Every host runs the same rune on the same tensors (made once by the Python host's feeders, so
decoding a file is not timed), the median over blocks of runs of the time per `run`, pinned
to one core (`taskset -c 1`; LiteRT single-threaded on both sides: the Python host's TFLite
handler gets `threads=1`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import PEER, ROOT, table  # noqa: E402
from rune.runtime import Rune  # noqa: E402
from rune.runtime.capabilities import default_registry as capabilities  # noqa: E402
from rune.runtime.handlers import default_registry as handlers  # noqa: E402
from rune.runtime.handlers.tflite import TfliteHandler  # noqa: E402

HERE = Path(__file__).resolve().parent
CORE = "1"
RUNES = {
    "sine": (ROOT / "examples" / "sine" / "Runefile.yml", ROOT / "examples" / "sine" / "input.bin"),
    "microspeech": (PEER / "examples" / "microspeech" / "Runefile.yml",
                    PEER / "integration-tests" / "run-pass" / "microspeech-up" / "up.wav"),
    "person_detection": (PEER / "examples" / "person_detection" / "Runefile.yml",
                         PEER / "examples" / "person_detection" / "image.png"),
}  # fmt: skip


def compile_runes(out: Path, blocks: int) -> list[dict]:
    specs = []
    for name, (runefile, data) in RUNES.items():
        rune_path = out / f"{name}.rune"
        subprocess.run([str(ROOT / ".venv" / "bin" / "runec"), str(runefile), "-o", str(rune_path)],
                       check=True, capture_output=True)  # fmt: skip
        rune = Rune.load(rune_path, cache_dir=None)
        (cap,) = rune.manifest.capabilities
        tensor = capabilities.read(cap, str(data), None)  # the tensor the feeder makes, as bytes
        batch = 200 if name == "sine" else 10  # a block takes milliseconds, not microseconds
        specs.append({"name": name, "path": str(rune_path), "blocks": blocks, "batch": batch,
                      "inputs": [[cap.name, cap.tensor.element_type,
                                  base64.b64encode(tensor.tobytes()).decode()]]})  # fmt: skip
    return specs


def python_medians(spec: dict) -> dict[str, float]:
    os.sched_setaffinity(0, {int(CORE)})
    registry = handlers.copy()
    registry.register("tensorflow-lite", lambda m, s: TfliteHandler(m, s, threads=1), replace=True)
    out = {}
    for r in spec["runes"]:
        rune = Rune.load(r["path"], handlers=registry, cache_dir=None)
        ((name, etype, b64),) = r["inputs"]
        inputs = {name: base64.b64decode(b64)}
        for _ in range(spec["warmup"]):
            rune.run(inputs)
        times = []
        for _ in range(r["blocks"]):
            t0 = time.perf_counter_ns()
            for _ in range(r["batch"]):
                rune.run(inputs)
            times.append((time.perf_counter_ns() - t0) / r["batch"])
        out[r["name"]] = sorted(times)[len(times) // 2] / 1000
    return out


def node(script: str, *args: str) -> dict:
    proc = subprocess.run(["taskset", "-c", CORE, "node", str(HERE / script), *args],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=31, help="timed blocks of runs per rune")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = {"warmup": 20, "runes": compile_runes(Path(tmp), args.blocks)}
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        chromium = node("bench_browser.mjs", str(spec_path))
        in_node = node("bench_node.mjs", str(spec_path))
        python = python_medians(spec)
    rows = [[name, f"{chromium[name]:.1f}", f"{in_node[name]:.1f}", f"{python[name]:.1f}",
             f"{chromium[name] / python[name]:.2f}x", f"{in_node[name] / python[name]:.2f}x"]
            for name in RUNES]  # fmt: skip
    print("per-inference median, µs (one core)")
    headers = ["rune", "Chromium", "Node", "Python host", "Chromium/Python", "Node/Python"]
    print(table(headers, rows))
    print(f"Node host alone (sine, a model handler that does nothing): "
          f"{in_node['sine, host only']:.1f} µs")  # fmt: skip
    sizes = node("bundle_size.mjs")
    print("\nbrowser bundle, bytes")
    print(table(["part", "minified", "gzip"],
                [[k, f"{v['raw']:,}", f"{v['gzip']:,}"] for k, v in sizes.items()]))  # fmt: skip


if __name__ == "__main__":
    main()
