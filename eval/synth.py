"""A spoken-word dataset made on this machine: up/down/left/right and other words ("unknown"),
spoken by Debian's `espeak-ng` in several voices, speeds and pitches, and made 16 kHz mono
16-bit, 1 s long and mixed with noise at several signal-to-noise ratios by `sox`.

    python -m rune.eval.synth OUT --per-label 80

writes OUT/<label>/<label>_NNNN.wav and OUT/clips.csv (`path,label` and how each clip was made,
itself a dataset manifest). The same arguments give the same files: every choice comes from a
generator seeded by the seed, label and clip number, and sox runs in repeatable mode (-R)
without dither (-D). Clips are made in parallel, one espeak-ng and one or two sox processes each.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import EvalError

KEYWORDS = ("up", "down", "left", "right")
UNKNOWN = "unknown"
#: Words spoken for "unknown": other words of the Speech Commands vocabulary.
OTHER_WORDS = ("yes", "no", "go", "stop", "on", "off", "bed", "bird", "cat", "dog", "happy",
               "house", "marvin", "sheila", "tree", "wow", "seven", "three")  # fmt: skip
#: espeak-ng voices and variants (accents; male, female and synthetic timbres).
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us+f2", "en-us+f4",
          "en-gb+m3", "en+m7", "en-us+klatt", "en+croak", "en-us+whisper")  # fmt: skip
SPEEDS = (120, 150, 175, 200)  # words per minute
PITCHES = (25, 40, 55, 70)  # espeak-ng's 0..99
NOISES = ("whitenoise", "pinknoise", "brownnoise")
SNRS_DB = (None, 20, 10, 5)  # None: no noise
RATE = 16_000
NOISE_SEGMENTS = 8  # one-second noise segments per colour


@dataclass(frozen=True)
class Clip:
    path: str  # relative to the dataset folder
    label: str
    word: str
    voice: str
    speed: int
    pitch: int
    lead_ms: int
    noise: str
    snr_db: int | None


def tools_missing() -> list[str]:
    """The programs synthesis needs that are not on PATH (`make eval-deps` installs them)."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def plan(labels: Sequence[str], per_label: int, seed: int) -> list[Clip]:
    """Which word each clip says and how: a pure function of its arguments."""
    clips = []
    for label in labels:
        for n in range(per_label):
            rng = random.Random(f"{seed}:{label}:{n}")
            word = rng.choice(OTHER_WORDS) if label == UNKNOWN else label
            snr = rng.choice(SNRS_DB)
            noise = f"{rng.choice(NOISES)}:{rng.randrange(NOISE_SEGMENTS)}"
            clips.append(Clip(
                path=f"{label}/{label}_{n:04d}.wav", label=label, word=word,
                voice=rng.choice(VOICES), speed=rng.choice(SPEEDS), pitch=rng.choice(PITCHES),
                lead_ms=rng.randrange(50, 250, 10),
                noise="none" if snr is None else noise,
                snr_db=snr,
            ))  # fmt: skip
    return clips


def _run(argv: Sequence[str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(list(argv), input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise EvalError(f"{argv[0]}: {exc.strerror or exc} (make eval-deps installs it)") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise EvalError(f"{argv[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def _rms(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))


def _noise_bank(folder: Path) -> dict[str, tuple[Path, float]]:
    """NOISE_SEGMENTS one-second segments of each colour ("pinknoise:3" -> file, RMS)."""
    bank = {}
    for colour in NOISES:
        whole = folder / f"{colour}.wav"
        _run(["sox", "-R", "-D", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(whole),
              "synth", str(NOISE_SEGMENTS), colour, "vol", "0.5"])  # fmt: skip
        for k in range(NOISE_SEGMENTS):
            part = folder / f"{colour}-{k}.wav"
            _run(["sox", "-R", "-D", str(whole), str(part), "trim", str(k), "1"])
            bank[f"{colour}:{k}"] = (part, _rms(part))
    return bank


def _make(clip: Clip, out: Path, scratch: Path, bank: dict[str, tuple[Path, float]]) -> None:
    """espeak-ng -> sox (16 kHz mono 16-bit, leading silence cut, word placed `lead_ms` in,
    padded or cut to 1 s, peak at -6 dBFS) -> sox mixing in noise at the clip's SNR."""
    speech = _run(["espeak-ng", "-v", clip.voice, "-s", str(clip.speed), "-p", str(clip.pitch),
                   "--stdout", clip.word])  # fmt: skip
    if not speech:
        raise EvalError(f"espeak-ng said nothing for {clip.word!r} in voice {clip.voice}")
    target = out / clip.path
    clean = target if clip.snr_db is None else scratch / Path(clip.path).name
    _run(["sox", "-R", "-D", "-t", "wav", "-", "-r", str(RATE), "-c", "1", "-b", "16",
          str(clean), "silence", "1", "0.02", "0.5%", "norm", "-6",
          "pad", f"{clip.lead_ms / 1000:.3f}", "1", "trim", "0", "1"], speech)  # fmt: skip
    if clip.snr_db is None:
        return
    noise, noise_rms = bank[clip.noise]
    gain = _rms(clean) / (noise_rms * 10 ** (clip.snr_db / 20))
    _run(["sox", "-R", "-D", "-m", "-v", "1", str(clean), "-v", f"{gain:.6f}", str(noise),
          "-b", "16", str(target)])  # fmt: skip
    clean.unlink()


def synthesise(
    out: str | os.PathLike[str],
    *,
    per_label: int = 80,
    labels: Sequence[str] = (*KEYWORDS, UNKNOWN),
    seed: int = 0,
    jobs: int | None = None,
) -> list[Clip]:
    """Write `per_label` clips of each label under `out` (and `out/clips.csv`); returns them."""
    missing = tools_missing()
    if missing:
        raise EvalError(f"synthesis needs {' and '.join(missing)}: run `make eval-deps`")
    root = Path(out)
    clips = plan(labels, per_label, seed)
    for label in labels:
        (root / label).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rune-synth-") as tmp:
        scratch = Path(tmp)
        bank = _noise_bank(scratch)
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            list(pool.map(lambda clip: _make(clip, root, scratch, bank), clips))
    with open(root / "clips.csv", "w", newline="") as manifest:
        writer = csv.DictWriter(manifest, fieldnames=list(asdict(clips[0])) if clips else ["path"])
        writer.writeheader()
        writer.writerows(asdict(clip) for clip in clips)
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rune.eval.synth", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("out", metavar="OUT", help="the dataset folder to write")
    parser.add_argument("--per-label", type=int, default=80, help="clips per label (80)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every choice (0)")
    parser.add_argument("--jobs", type=int, default=None, help="clips made at once (CPUs)")
    args = parser.parse_args(argv)
    if args.per_label < 1:
        parser.error("--per-label must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        clips = synthesise(args.out, per_label=args.per_label, seed=args.seed, jobs=args.jobs)
    except (EvalError, OSError) as exc:
        print(f"synth: error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(clips)} clips in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
