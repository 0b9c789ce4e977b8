"""Bad input to `rune eval`: one `rune: error: ...` line each (with file:line:col for a manifest
row), a non-zero exit status, nothing on stdout, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rune.runtime.cli import main


def fails(capsys: pytest.CaptureFixture[str], *argv: object, status: int = 1) -> str:
    """Run `rune eval ARGV`; the one error line."""
    code = main(["eval", *map(str, argv)])
    captured = capsys.readouterr()
    assert code == status and captured.out == ""
    assert captured.err.startswith("rune: error: ") and captured.err.count("\n") == 1
    return captured.err


@pytest.fixture
def small(clips: Path, tmp_path: Path) -> Path:
    """Two clips of two labels, copied."""
    root = tmp_path / "small"
    for label in ("up", "down"):
        (root / label).mkdir(parents=True)
        shutil.copy(clips / label / f"{label}_0000.wav", root / label / "a.wav")
    return root


def test_missing_dataset(capsys, microspeech: Path, tmp_path: Path) -> None:
    err = fails(capsys, microspeech, tmp_path / "nope")
    assert f"{tmp_path / 'nope'}: no such file or directory" in err


def test_empty_folder(capsys, microspeech: Path, tmp_path: Path) -> None:
    (tmp_path / "empty" / "up").mkdir(parents=True)  # a label folder with no files
    err = fails(capsys, microspeech, tmp_path / "empty")
    assert "no examples: expected one sub-folder per label" in err


def test_csv_with_a_missing_file(capsys, microspeech: Path, small: Path) -> None:
    manifest = small / "data.csv"
    manifest.write_text("path,label\nup/a.wav,up\n\nup/gone.wav,up\n")
    err = fails(capsys, microspeech, manifest)
    assert err == f"rune: error: {manifest}:4:1: up/gone.wav: no such file\n"


def test_csv_row_without_label(capsys, microspeech: Path, small: Path) -> None:
    manifest = small / "data.csv"
    manifest.write_text("up/a.wav,up\ndown/a.wav\n")
    assert f"{manifest}:2:1: expected path,label" in fails(capsys, microspeech, manifest)


def test_jsonl_syntax_error(capsys, microspeech: Path, small: Path) -> None:
    manifest = small / "data.jsonl"
    manifest.write_text('{"path": "up/a.wav", "label": "up"}\n{"path": "down/a.wav" "label"}\n')
    assert f"{manifest}:2:23: Expecting ',' delimiter" in fails(capsys, microspeech, manifest)


def test_label_not_in_labels_file(capsys, microspeech: Path, small: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("silence\nunknown\nup\nleft\nright\n")
    err = fails(capsys, microspeech, small, "--labels", labels)
    assert f'down/a.wav: label "down" is not in {labels} (silence, unknown, up, left, right)' in err


def test_rune_without_a_label_output(capsys, sine: Path, small: Path) -> None:
    err = fails(capsys, sine, small)
    assert 'no output that reads as a label ("serial" gives f32[1,1])' in err
    assert "--labels FILE" in err


def test_unknown_output_stage(capsys, microspeech: Path, small: Path) -> None:
    err = fails(capsys, microspeech, small, "--output", "nope")
    assert 'no output stage "nope" (outputs: serial)' in err


def test_file_the_rune_cannot_read(capsys, microspeech: Path, small: Path) -> None:
    (small / "up" / "notes.txt").write_text("hello")
    err = fails(capsys, microspeech, small)
    assert "up/notes.txt: cannot tell which capability reads" in err


def test_broken_wav_in_a_worker(capsys, microspeech: Path, small: Path) -> None:
    """A file that fails while running, in a worker process: the example's name and why."""
    (small / "up" / "b.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    err = fails(capsys, microspeech, small, "--workers", "2")
    assert err.startswith("rune: error: up/b.wav: ") and 'stage "audio"' in err


def test_workers_and_ray_exclude_each_other(capsys, microspeech: Path, small: Path) -> None:
    err = fails(capsys, microspeech, small, "--workers", "2", "--ray", status=2)
    assert "--workers and --ray/--ray-address exclude each other" in err


def test_not_a_dataset_file(capsys, microspeech: Path, tmp_path: Path) -> None:
    text = tmp_path / "data.txt"
    text.write_text("x")
    assert "a .csv or .jsonl manifest, not a .txt" in fails(capsys, microspeech, text)


def test_missing_or_broken_rune(capsys, small: Path, tmp_path: Path) -> None:
    assert "gone.rune: No such file or directory" in fails(capsys, tmp_path / "gone.rune", small)
    broken = tmp_path / "broken.rune"
    broken.write_bytes(b"\0asm\1\0\0\0 not a rune")
    assert fails(capsys, broken, small).startswith("rune: error: ")


def test_negative_counts(capsys, microspeech: Path, small: Path) -> None:
    assert "list must be 0 or more, got -1" in fails(capsys, microspeech, small, "--list", "-1")
    assert "workers must be 0" in fails(capsys, microspeech, small, "--workers", "-2")
