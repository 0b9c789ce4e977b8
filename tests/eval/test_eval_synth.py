"""The synthesised dataset: the clips the plan says, in the rune's format (16 kHz mono 16-bit,
one second), the word placed where planned, noise where planned, and the same bytes every time."""

from __future__ import annotations

import csv
import hashlib
import wave
from pathlib import Path

import numpy as np
from evalkit import PER_LABEL
from rune.eval import synth


def samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.getnframes() == 16000
        return np.frombuffer(wav.readframes(16000), "<i2").astype(np.float64) / 32768


def test_plan_is_a_pure_function_with_variety() -> None:
    plan = synth.plan(("up", "unknown"), 40, seed=3)
    assert plan == synth.plan(("up", "unknown"), 40, seed=3)
    assert plan != synth.plan(("up", "unknown"), 40, seed=4)
    assert {c.word for c in plan if c.label == "up"} == {"up"}
    unknown = {c.word for c in plan if c.label == "unknown"}
    assert len(unknown) >= 8 and not unknown & set(synth.KEYWORDS)
    assert len({c.voice for c in plan}) >= 8 and len({c.speed for c in plan}) == 4
    assert {c.snr_db for c in plan} == set(synth.SNRS_DB)


def test_clips_format_placement_and_noise(clips: Path) -> None:
    with open(clips / "clips.csv", newline="") as manifest:
        rows = list(csv.DictReader(manifest))
    assert len(rows) == 5 * PER_LABEL
    assert rows[0].keys() >= {"path", "label", "voice", "speed", "pitch", "snr_db"}
    quiet = [r for r in rows if not r["snr_db"]][:10]
    noisy = [r for r in rows if r["snr_db"] == "5"][:10]
    assert quiet and noisy
    for row in quiet:
        audio = samples(clips / row["path"])
        lead = int(row["lead_ms"]) * 16
        assert np.abs(audio[: lead - 16]).max() < 0.01  # silence before the word
        assert np.abs(audio[lead : lead + 3200]).max() > 0.3  # the word, peak at -6 dBFS
    for row in noisy:
        audio = samples(clips / row["path"])
        assert np.sqrt(np.mean(audio[:400] ** 2)) > 0.005  # noise before the word too


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        synth.synthesise(tmp_path / name, per_label=3, labels=("left", "unknown"), seed=9)
        digests.append({p.relative_to(tmp_path / name): hashlib.sha256(p.read_bytes()).digest()
                        for p in sorted((tmp_path / name).rglob("*.wav"))})  # fmt: skip
    assert len(digests[0]) == 6 and digests[0] == digests[1]


def test_cli(tmp_path: Path, capsys) -> None:
    assert synth.main([str(tmp_path / "out"), "--per-label", "1"]) == 0
    assert capsys.readouterr().out == f"5 clips in {tmp_path / 'out'}\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "clips.csv", "down", "left", "right", "unknown", "up"]  # fmt: skip


def test_cli_errors(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert synth.main([str(blocker), "--per-label", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("synth: error: ") and "Not a directory" in err and err.count("\n") == 1
