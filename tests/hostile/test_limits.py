"""Class 3: limits that hold everywhere. The deadline covers the start function of the first
rune in a process; the memory cap covers a model's own tensors (from the graph, before LiteRT
allocates) and decoded inputs (from their headers); bad CLI numbers are usage errors; every
message is one `rune: error:` line."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import wasmtime
from e2e_harness import assert_clean_failure, run_many
from hostile_runes import PAD_RUNEFILE, SINE, pad_model
from rune.abi.container import write_rune
from rune.runtime.cli import _one_line

# VmHWM, the peak RSS of this process's own memory: ru_maxrss would also count the forking
# parent's (Linux keeps it across exec), and a pytest process that has imported TensorFlow or Ray
# is far past the bound checked here.
RSS = ("import re, sys; from rune.runtime.cli import main; code = main(sys.argv[1:]); "
       "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
       "print('maxrss', hwm, file=sys.stderr); sys.exit(code)")


def rune_with_rss(*args: str | Path) -> tuple[subprocess.CompletedProcess, int]:
    """`rune ARGS` in a fresh process, and its peak RSS in MiB."""
    proc = subprocess.run([sys.executable, "-c", RSS, *map(str, args)], capture_output=True,
                          text=True, timeout=120, check=False)
    peak = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss")]
    return proc, peak[0] // 1024 if peak else -1


def test_the_deadline_covers_the_start_function_of_a_process_first_rune(tmp_path: Path):
    wat = """(module (memory (export "memory") 1)
      (func $start (loop $again (br $again))) (start $start)
      (func (export "rune_run") (result i32) (i32.const 0)))"""
    manifest = {"abi_version": 1, "name": "loop", "image": "x", "compiler": "test",
                "tensors": [], "capabilities": [], "models": [], "outputs": [], "stages": [],
                "memory": {"arena_bytes": 0}}
    rune = tmp_path / "loop.rune"
    rune.write_bytes(write_rune(wasmtime.wat2wasm(wat), manifest, b""))
    start = time.monotonic()
    (result,) = run_many([("rune", "run", rune, "--timeout", "0.5")])
    assert time.monotonic() - start < 60
    assert assert_clean_failure(result) == ("rune: error: the rune's start function ran past "
                                            "the deadline")


@pytest.fixture(scope="module")
def pad_rune(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rune whose model pads f32[1, 1] to f32[1, 2^28 + 1]: 1 GiB inside LiteRT."""
    folder = tmp_path_factory.mktemp("pad")
    (folder / "pad.tflite").write_bytes(pad_model(1 << 28))
    (folder / "Runefile.yml").write_text(PAD_RUNEFILE.format(size=(1 << 28) + 1))
    (result,) = run_many([("runec", folder / "Runefile.yml", "-o", folder / "pad.rune")])
    assert result.returncode == 0, result.explain()
    (folder / "x.bin").write_bytes(struct.pack("<f", 1.0))
    return folder


def test_the_memory_cap_covers_a_model_s_tensors_before_they_exist(pad_rune: Path):
    proc, peak = rune_with_rss("run", pad_rune / "pad.rune", "--raw", pad_rune / "x.bin",
                               "--max-memory", "64M", "--max-tensor-size", "2G")
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("maxrss")]
    assert lines == ['rune: error: model "pad" brings the tensors of the models to 1073741832 '
                     "bytes, more than the memory cap of 67108864 (limit memory_bytes / "
                     "--max-memory)"]
    assert 0 < peak < 400, f"peak RSS {peak} MiB"


def _wav(rate: int, samples: int) -> bytes:
    data = b"\1\0" * samples
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2 % 2**32, 2, 16)
            + b"data" + struct.pack("<I", len(data)) + data)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 99)) + chunk(b"IEND", b""))


MEDIA_RUNEFILE = """\
version: 1
image: runicos/base
pipeline:
  audio:
    capability: SOUND
    outputs: [{type: i16, dimensions: [1, 16000]}]
    args: {hz: 16000, sample_duration_ms: 1000}
  picture:
    capability: IMAGE
    outputs: [{type: u8, dimensions: [1, 8, 8, 3]}]
    args: {width: 8, height: 8}
  serial:
    out: serial
    inputs: [audio, picture]
"""


@pytest.fixture(scope="module")
def media_rune(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    (folder / "Runefile.yml").write_text(MEDIA_RUNEFILE)
    (result,) = run_many([("runec", folder / "Runefile.yml", "-o", folder / "media.rune")])
    assert result.returncode == 0, result.explain()
    (folder / "huge-rate.wav").write_bytes(_wav(4_294_967_295, 500_000))  # 1 MB
    (folder / "ok.wav").write_bytes(_wav(16000, 16000))
    (folder / "huge.png").write_bytes(_png(12000, 12000))
    (folder / "ok.png").write_bytes(_png(8, 8))
    return folder


@pytest.mark.parametrize(("wav", "png", "message"), [
    ("huge-rate.wav", "ok.png", 'Unable to load the "SOUND" input for stage "audio" from '
     "{}/huge-rate.wav: WAV header claims 1 channels at 4294967295 Hz; at most 256 channels at "
     "768000 Hz are accepted"),
    ("ok.wav", "huge.png", 'Unable to load the "IMAGE" input for stage "picture" from '
     "{}/huge.png: not an image this runtime can decode (Image size (144000000 pixels) exceeds "
     "limit of 89478485 pixels, could be decompression bomb DOS attack.)"),
])
def test_decoded_inputs_are_checked_from_their_headers(media_rune: Path, wav: str, png: str,
                                                        message: str):
    proc, peak = rune_with_rss("run", media_rune / "media.rune", media_rune / wav,
                               media_rune / png)
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("maxrss")]
    assert proc.returncode == 1
    assert lines == [f"rune: error: {message.format(media_rune)}"]
    assert 0 < peak < 400, f"peak RSS {peak} MiB"


BAD_ARGS = {
    ("--timeout", "1e308"): "argument --timeout: a duration must be at most 2592000 seconds",
    ("--seed", "-1"): "argument --seed: a seed runs from 0 to 2**64 - 1, got -1",
    ("--hop-ms", "nan"): "argument --hop-ms: must be a positive, finite number of milliseconds",
    ("--hop-ms", "inf"): "argument --hop-ms: must be a positive, finite number of milliseconds",
    ("--max-tensor-size", "9" * 400): "argument --max-tensor-size: not a size: '999999999999..."
                                      "999999 (400 chars)'",
}


def test_bad_numbers_on_the_command_line_are_usage_errors(tmp_path: Path):
    results = run_many([("rune", "run", SINE / "missing.rune", *args) for args in BAD_ARGS])
    for result, expected in zip(results, BAD_ARGS.values(), strict=True):
        line = assert_clean_failure(result, code=2)
        assert line.startswith(f"rune: error: {expected}"), result.explain()


def test_a_multi_line_message_becomes_one_line():
    message = "tflite/kernels/pad.cc Pad value has to be >= 0.\nNode number 0 (PAD) failed.\n"
    assert _one_line(RuntimeError(message)) == ("tflite/kernels/pad.cc Pad value has to be >= 0.; "
                                                "Node number 0 (PAD) failed.")
