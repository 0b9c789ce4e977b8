"""Figures for microspeech on microcontrollers (`make bench-mcu`; `make bench` runs it when the
MCU packages are installed): the front end alone, then the whole pipeline as one object.

For tests/mcu/runefiles/front_end (RAW i16[1,16000] -> fft -> noise-filtering -> serial):
- code size: the Cortex-M4 object's sections (arm-none-eabi-size -A), the library routines it
  pulls into the firmware, and the wasm32-mcu module's size;
- memory: the planned arena (manifest), kernel state and tables outside it;
- instructions per run under qemu-system-arm (mps2-an386), counted by the insn_count TCG plugin
  (mcu/insn_count.c) and attributed to functions: the rune's own code, the library routines it
  calls (soft-float double arithmetic, sqrt), the harness (excluded from the figure).
The whole pipeline (the peer suite's microspeech Runefile, SOUND -> fft -> noise-filtering ->
the model compiled in -> most_confident_indices -> label) as one Cortex-M4 object: .text,
.rodata (kernel tables and the model's weights), the arena, state, and instructions per
inference with the label each run gives; and the wasm32-mcu rune on wasm3 with wasmtime's label
for each of the four recordings. Then TensorFlow Lite Micro's published micro_speech figures,
with their sources.

Run: python benchmarks/mcu/bench_mcu.py [--out /tmp/mcu_figures.md]. Needs the packages
`make test-mcu` installs.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "mcu")]

import firmware  # noqa: E402
import numpy as np  # noqa: E402
from common import PEER, table  # noqa: E402
from rune.abi.container import read_rune  # noqa: E402
from rune.runtime import Rune, sound  # noqa: E402

RUNEFILE = ROOT / "tests" / "mcu" / "runefiles" / "front_end" / "Runefile.yml"
FULL = PEER / "integration-tests" / "run-pass" / "microspeech-up" / "Runefile.yml"
WORDS = ("up", "down", "left", "right")
FRAMES = 49  # the fft proc block's frames per second of audio
COMMAND = "make bench-mcu  # = python benchmarks/mcu/bench_mcu.py --out /tmp/mcu_figures.md"

# TensorFlow Lite Micro's own figures for micro_speech, as published in tensorflow/tflite-micro.
TFLM = [
    ("code size of the whole micro_speech example (front end, interpreter, model code) on "
     "Cortex-M3", "about 22 KB",
     "tensorflow/tflite-micro@778d6f82494e1353f2e9e7213040abc78a95d988 "
     "tensorflow/lite/micro/examples/micro_speech/README.md lines 14-17"),
    ("RAM for working memory, same example", "about 10 KB",
     "same file, lines 15-16"),
    ("tensor arena of that example's model (kTensorArenaSize)", "10240 bytes",
     "tensorflow/tflite-micro@778d6f82494e1353f2e9e7213040abc78a95d988 "
     "tensorflow/lite/micro/examples/micro_speech/main_functions.cc line 42"),
    ("arena today, the larger of the AudioPreprocessor and MicroSpeech models' "
     "arena_used_bytes (xtensa p6)", "28584 bytes",
     "tensorflow/tflite-micro@90b983c2b3f1480642e040bbd2ddb37b998f3424 "
     "tensorflow/lite/micro/examples/micro_speech/micro_speech_test.cc line 40"),
]


def runec(runefile: Path, out: Path, target: str, emit: str) -> Path:
    subprocess.run([sys.executable, "-m", "rune.tools.runec", str(runefile),
                    f"--target={target}", f"--emit={emit}", "-o", str(out)], check=True)
    return out


def samples(word: str) -> bytes:
    path = PEER / "integration-tests" / "run-pass" / f"microspeech-{word}" / f"{word}.wav"
    audio = sound.read_wav(path.read_bytes())
    return np.asarray(audio.samples[:16000, 0], dtype="<i2").tobytes()


def label_of(fw: firmware.Firmware, result) -> str:
    """The one utf8 output of a firmware run: a (ptr, len) pair into the ELF's memory."""
    (label,) = result.outputs()
    ptr, length = struct.unpack("<II", label.data)
    return firmware.read_elf(fw.elf, ptr, length).decode("utf-8")


def host_label(outputs) -> str:
    (output,) = outputs
    (tensor,) = output.tensors
    data = tensor.data if hasattr(tensor, "data") else tensor
    return str(list(data)[0])


def wasm3_labels(work: Path) -> tuple[Path, dict[str, list[str]]]:
    """The whole microspeech rune for wasm32-mcu, and per recording its label on wasm3 and on
    wasmtime (each must be the word: a wrong label fails the benchmark). Needs only pywasm3."""
    from rune.runtime.wasm3_host import Wasm3Rune

    rune_path = runec(FULL, work / "microspeech.mcu.rune", "wasm32-mcu", "rune")
    on_wasm3, on_wasmtime = Wasm3Rune.load(rune_path), Rune.load(rune_path)
    labels = {}
    for word in WORDS:
        pcm = np.frombuffer(samples(word), dtype="<i2").reshape(1, -1)
        labels[word] = [host_label(on_wasm3.run({"audio": pcm})),
                        host_label(on_wasmtime.run({"audio": pcm}))]
        assert labels[word] == [word, word], (word, labels[word])
    return rune_path, labels


def whole_pipeline(work: Path) -> tuple[list[list[str]], list[int], list[list[str]]]:
    """Figures of the whole microspeech pipeline in one Cortex-M4 object, its instructions per
    recording, and per recording the labels on qemu, wasm3 and wasmtime (each must be the
    word: a wrong label fails the benchmark)."""
    obj = runec(FULL, work / "microspeech.o", "thumbv7em-none-eabihf", "obj")
    rune_path, hosted = wasm3_labels(work)
    mcu = read_rune(rune_path.read_bytes())
    fw = firmware.build(obj, work / "fw-full")
    sections = firmware.section_sizes(obj)
    counts, labels = [], []
    for word in WORDS:
        (work / "audio.i16").write_bytes(samples(word))
        result = firmware.run(fw, [work / "audio.i16"], count=True)
        assert result.status == 0, result.console
        assert result.model_inputs() == [], "the model runs inside the object"
        split = firmware.split_profile(fw, result.instructions)
        counts.append(split["rune"] + split["library"])
        labels.append([word, label_of(fw, result), *hosted[word]])
        assert labels[-1][1] == word, labels[-1]
    arena = mcu.manifest["memory"]["arena_bytes"]
    rows = [
        [".text", f"{sections['.text']:,} B"],
        [".rodata (kernel tables and the model's int8 weights)", f"{sections['.rodata']:,} B"],
        ["arena (the whole pipeline's one plan)", f"{arena:,} B"],
        ["kernel state kept across runs (.bss - arena)",
         f"{sections.get('.bss', 0) - arena:,} B"],
        ["wasm32-mcu module, whole rune (no model blob)", f"{len(mcu.wasm):,} B"],
        ["models the host runs (manifest `models`) / model hook calls on qemu",
         f"{len(mcu.manifest['models'])} / 0"],
        ["library code the object pulls in (soft-double, sqrt)",
         f"{firmware.library_code(fw)[0]:,} B"],
        ["instructions per inference (1 s of audio), rune + library",
         f"{min(counts):,}-{max(counts):,}"],
    ]
    return rows, counts, labels


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/mcu_figures.md")
    parser.add_argument("--if-available", action="store_true",
                        help="exit 0 with a note when the MCU packages are missing (make bench)")
    args = parser.parse_args()
    missing = firmware.missing_tools()
    if missing:
        print(f"bench-mcu needs the Debian packages {' '.join(missing)} (make mcu-deps)",
              file=sys.stderr)
        if not args.if_available:
            return 2
        with tempfile.TemporaryDirectory(prefix="bench-mcu-") as tmp:
            _, labels = wasm3_labels(Path(tmp))
        print("Whole microspeech rune (wasm32-mcu), labels on wasm3 and wasmtime:")
        print(table(["recording", "wasm3", "wasmtime"], [[w, *labels[w]] for w in WORDS]))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-mcu-") as tmp:
        work = Path(tmp)
        obj = runec(RUNEFILE, work / "front_end.o", "thumbv7em-none-eabihf", "obj")
        mcu = read_rune(runec(RUNEFILE, work / "front_end.mcu.rune", "wasm32-mcu",
                              "rune").read_bytes())
        simd = read_rune(runec(RUNEFILE, work / "front_end.rune", "wasm32", "rune").read_bytes())
        fw = firmware.build(obj, work / "fw")
        sections = firmware.section_sizes(obj)
        harness = firmware.harness_symbols(fw)
        library_bytes, library = firmware.library_code(fw)
        counts = []
        top: dict[str, int] = {}
        for word in WORDS:
            (work / "audio.i16").write_bytes(samples(word))
            result = firmware.run(fw, [work / "audio.i16"], count=True)
            assert result.status == 0, result.console
            split = firmware.split_profile(fw, result.instructions)
            counts.append(split)
            for name, insns in result.instructions.items():
                if name not in harness:
                    top[name] = top.get(name, 0) + insns // len(WORDS)
        whole, whole_counts, labels = whole_pipeline(work)
    arena = mcu.manifest["memory"]["arena_bytes"]
    totals = [c["rune"] + c["library"] for c in counts]
    own = [c["rune"] for c in counts]
    state = sections.get(".bss", 0) - arena

    rows = [
        ["Cortex-M4 object .text (arm-none-eabi-size -A)", f"{sections['.text']} B"],
        ["Cortex-M4 object .rodata (fft/mel/window/PCAN tables)", f"{sections['.rodata']} B"],
        ["library code the object pulls in (soft-double, sqrt; "
         f"{len(library)} entry points)", f"{library_bytes} B"],
        ["wasm32-mcu module (code + tables, no manifest)", f"{len(mcu.wasm)} B"],
        ["wasm32 (SIMD, -O2) module, for reference", f"{len(simd.wasm)} B"],
        ["arena (manifest memory.arena_bytes)", f"{arena} B"],
        ["kernel state kept across runs, outside the arena (.bss - arena)", f"{state} B"],
        ["instructions per run (1 s of audio), rune + library, qemu insn plugin",
         f"{min(totals):,}-{max(totals):,}"],
        ["  of which the rune's own code", f"{min(own):,}-{max(own):,}"],
        ["  per 30 ms frame (49 frames)", f"{min(totals) // FRAMES:,}-{max(totals) // FRAMES:,}"],
    ]
    model = [w - f for w, f in zip(whole_counts, totals, strict=True)]
    whole.append(["  of which the model and the label (whole - front end, same recording)",
                  f"{min(model):,}-{max(model):,}"])
    hottest = sorted(top.items(), key=lambda kv: -kv[1])[:8]
    lines = [
        "## Microcontroller figures: the microspeech front end (fft -> noise-filtering)",
        "",
        f"Command: `{COMMAND}`. Rune: `tests/mcu/runefiles/front_end/Runefile.yml` "
        "(RAW i16[1,16000] -> fft -> noise-filtering -> serial), built with "
        "`runec --target=thumbv7em-none-eabihf --emit=obj` (Cortex-M4F, -Os) and "
        "`runec --target=wasm32-mcu`. Instructions are counted on qemu-system-arm 7.2 "
        "(mps2-an386) by the TCG plugin mcu/insn_count.c, attributed by symbol; the harness "
        "(startup, hooks, semihosting) is excluded; range over the peer suite's "
        "up/down/left/right WAV files (first 16000 samples).",
        "",
        "| figure | value |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        "Hottest functions per run (instructions, mean of the four words): "
        + ", ".join(f"`{name}` {insns:,}" for name, insns in hottest) + ".",
        "",
        "## The whole microspeech pipeline as one Cortex-M4 object",
        "",
        "Rune: the peer suite's `integration-tests/run-pass/microspeech-up/Runefile.yml` "
        "(SOUND -> fft -> noise-filtering -> the model, compiled in by the MCU targets' "
        "default -> most_confident_indices -> label), `runec --target=thumbv7em-none-eabihf "
        "--emit=obj` (-Os); the firmware links no model runtime and no model hook is called. "
        "Instructions: qemu insn plugin as above, range over the four recordings.",
        "",
        "| figure | value |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in whole),
        "",
        "Labels per recording (Cortex-M4 on qemu, wasm32-mcu on wasm3, the same module on "
        "wasmtime):",
        "",
        "| recording | Cortex-M4 (qemu) | wasm3 | wasmtime |",
        "| --- | --- | --- | --- |",
        *(f"| {w}.wav | {a} | {b} | {c} |" for w, a, b, c in labels),
        "",
        "TensorFlow Lite Micro's micro_speech, as published (not measured here):",
        "",
        "| figure | value | source |",
        "| --- | --- | --- |",
        *(f"| {name} | {value} | {source} |" for name, value, source in TFLM),
        "",
        "Not like for like: TFLM's front end streams one 30 ms frame per call (the older "
        "micro_features generator, fixed-point with an int16 FFT and a log lookup table, and "
        "today's AudioPreprocessor model, whose input is one (1, 480) frame), so it keeps only "
        "one frame of working memory; the rune computes all 49 frames of a 1 s window per run "
        "and, to match the original "
        "proc blocks bit for bit, does the mel filterbank, sqrt and log in f64, which the "
        "Cortex-M4F's single-precision FPU runs in software (`__aeabi_d*`). TFLM publishes no "
        "instruction or cycle count for its front end or its model. For the whole pipeline: "
        "TFLM's ~22 KB of code include its interpreter, op resolver and every kernel its "
        "example registers, where the object holds only the kernels this pipeline uses, "
        "specialised to its shapes (LiteRT's reference loops, no CMSIS-NN); its model weights "
        "are in .rodata here and in the model array there; TFLM's example model has 4 labels, "
        "the peer suite's 6, on the same 49x40 features. The model's own arena as TFLM plans "
        "it is measured, with TFLM's interpreter, by benchmarks/bench_memory.py.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(table(["figure", "value"], rows))
    print("\nWhole microspeech pipeline, one Cortex-M4 object:")
    print(table(["figure", "value"], whole))
    print(table(["recording", "Cortex-M4 (qemu)", "wasm3", "wasmtime"], labels))
    print()
    print("hottest:", ", ".join(f"{name} {insns:,}" for name, insns in hottest))
    print()
    print(table(["TFLM micro_speech (published)", "value", "source"],
                [list(row) for row in TFLM]))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
