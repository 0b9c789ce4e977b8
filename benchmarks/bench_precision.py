"""`runec --precision=relaxed` against the exact build: how far the features move, whether the
labels change, and what it buys on wasm and on a Cortex-M4F (qemu instruction counts).

For the four peer-suite recordings (first 16000 samples):
- the microspeech front end (tests/mcu/runefiles/front_end: fft -> noise-filtering, i8 features),
  each recording on fresh runes (noise filtering keeps state): the largest difference of the
  1960 i8 features and how many differ;
- the whole microspeech rune: the label, exact and relaxed;
- wasm: median µs per front-end run, exact and relaxed interleaved in this one process;
- Cortex-M4F: instructions per run under qemu (mps2-an386), rune + library code, when the
  `make test-mcu` packages are installed.

Run: python benchmarks/bench_precision.py [--json]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "mcu")]

import numpy as np  # noqa: E402
from common import PEER, bench_main, interleaved_medians  # noqa: E402
from rune.runtime import sound  # noqa: E402
from rune.runtime.host import Rune  # noqa: E402

FRONT_END = ROOT / "tests" / "mcu" / "runefiles" / "front_end" / "Runefile.yml"
FULL = PEER / "integration-tests" / "run-pass" / "microspeech-up" / "Runefile.yml"
WORDS = ("up", "down", "left", "right")


def samples(word: str) -> np.ndarray:
    path = PEER / "integration-tests" / "run-pass" / f"microspeech-{word}" / f"{word}.wav"
    audio = sound.read_wav(path.read_bytes())
    return np.asarray(audio.samples[:16000, 0], dtype="<i2").reshape(1, 16000)


def runec(runefile: Path, out: Path, precision: str, *flags: str) -> Path:
    subprocess.run([sys.executable, "-m", "rune.tools.runec", str(runefile), "-o", str(out),
                    f"--precision={precision}", *flags], check=True,
                   env={**os.environ, "RUNE_COMPILE_CACHE": "off"})
    return out


def qemu_instructions(work: Path) -> dict[str, int] | None:
    import firmware

    if firmware.missing_tools():
        return None
    counts = {}
    audio = work / "audio.i16"
    audio.write_bytes(samples("up").tobytes())
    for precision in ("exact", "relaxed"):
        obj = runec(FRONT_END, work / f"fe-{precision}.o", precision,
                    "--target=thumbv7em-none-eabihf", "--emit=obj")
        fw = firmware.build(obj, work / f"fw-{precision}")
        result = firmware.run(fw, [audio], count=True)
        assert result.status == 0, result.console
        split = firmware.split_profile(fw, result.instructions)
        counts[precision] = split["rune"] + split["library"]
    return counts


def measure(runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        front = {p: runec(FRONT_END, work / f"fe-{p}.rune", p).read_bytes()
                 for p in ("exact", "relaxed")}
        full = {p: runec(FULL, work / f"ms-{p}.rune", p).read_bytes()
                for p in ("exact", "relaxed")}
        deviations, labels = [], []
        for word in WORDS:
            audio = samples(word)
            exact, relaxed = (Rune.load(front[p]).run({"audio": audio})[0].tensors[0].data
                              .astype(np.int16) for p in ("exact", "relaxed"))
            diff = np.abs(exact - relaxed)
            deviations.append({"recording": word, "max_abs_diff": int(diff.max()),
                               "values_differing": int((diff != 0).sum())})
            labels.append({"recording": word, **{
                p: Rune.load(full[p]).run({"audio": audio})[0].tensors[0].data[0]
                for p in ("exact", "relaxed")}})
        runes = {p: Rune.load(front[p]) for p in front}
        audio = samples("up")
        wasm_us = interleaved_medians(
            {p: lambda r=rune: r.run({"audio": audio}) for p, rune in runes.items()}, runs)
        insns = qemu_instructions(work)
    return {"deviation": deviations, "labels": labels, "wasm_us": wasm_us,
            "qemu_instructions": insns}


def report(result: dict) -> None:
    """The figures as text."""
    print("i8 features (front end), relaxed vs exact:")
    for d in result["deviation"]:
        print(f"  {d['recording']:>5}: largest difference {d['max_abs_diff']}, "
              f"{d['values_differing']} of 1960 values differ")
    print("labels (whole microspeech rune): " + ", ".join(
        f"{r['recording']} {r['exact']}/{r['relaxed']}" for r in result["labels"]))
    us = result["wasm_us"]
    print(f"wasm front end, median µs per run: exact {us['exact']:.0f}, relaxed "
          f"{us['relaxed']:.0f} ({us['exact'] / us['relaxed']:.2f}x)")
    insns = result["qemu_instructions"]
    if insns is None:
        print("Cortex-M4F: not measured (make test-mcu installs the toolchain and qemu)")
    else:
        print(f"Cortex-M4F instructions per run (qemu, rune + library): exact "
              f"{insns['exact']:,}, relaxed {insns['relaxed']:,} "
              f"({insns['exact'] / insns['relaxed']:.2f}x fewer)")


def main() -> int:
    return bench_main(__doc__, measure, report, runs=300)


if __name__ == "__main__":
    sys.exit(main())
