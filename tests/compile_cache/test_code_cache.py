"""The code cache: a Runefile that differs from one compiled before only in data arguments
(a label wordlist of the same length), in another folder, reuses its pipeline object without
loading the compiler, and its rune is byte-identical to a compile with no cache at all
(tools/code_cache.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rune.abi.manifest import Manifest
from rune.frontend.diagnostics import DiagnosticEngine
from rune.frontend.parser import load_runefile
from rune.frontend.semantics import check_runefile
from rune.tools import code_cache, compile_cache

REPO = Path(__file__).resolve().parents[2]
MICROSPEECH = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "examples" / "microspeech"
LABELS = "          right\n"


def _runec(runefile: Path, out: Path, cache: str, *flags: str) -> str:
    """Compile in a fresh process; returns its stderr."""
    done = subprocess.run([sys.executable, *flags, "-m", "rune.tools.runec", str(runefile),
                           "-o", str(out), "--time-passes"], capture_output=True, text=True,
                          check=True, env={**os.environ, compile_cache.ENV: cache})
    return done.stderr


def _microspeech(folder: Path, replacement: str = LABELS) -> Path:
    """microspeech in `folder`, its last label line replaced."""
    folder.mkdir()
    shutil.copy(MICROSPEECH / "model.tflite", folder)
    text = (MICROSPEECH / "Runefile.yml").read_text()
    assert LABELS in text
    (folder / "Runefile.yml").write_text(text.replace(LABELS, replacement))
    return folder / "Runefile.yml"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bytes]:
    """A cache that has compiled microspeech: (cache folder, that compile's report, rune)."""
    tmp = tmp_path_factory.mktemp("code-cache")
    report = _runec(MICROSPEECH / "Runefile.yml", tmp / "a.rune", str(tmp / "cache"))
    return tmp / "cache", report, (tmp / "a.rune").read_bytes()


def _imported(report: str) -> set[str]:
    """The modules a process imported, from its `-X importtime` lines."""
    return {line.rsplit("|", 1)[1].strip() for line in report.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_other_labels_in_another_folder_reuse_the_object_and_give_the_uncached_bytes(
        tmp_path: Path, filled: tuple[Path, str, bytes]):
    """(b): no xDSL, NumPy or compiler imported; the rune is the uncached compile's bytes,
    with this folder's name and this Runefile's words."""
    cache, _, first = filled
    assert len(list((cache / "code").glob("*.bin"))) == 1
    other = _microspeech(tmp_path / "other-words", "          west\n")
    report = _runec(other, tmp_path / "b.rune", str(cache), "-X", "importtime")
    imported = _imported(report)
    assert "rune.tools.code_cache" in imported and "llvmlite.binding" in imported
    assert not {name for name in imported if name.split(".")[0] in ("xdsl", "numpy")}
    assert "rune.tools.compiler" not in imported and "kernel units" not in report
    assert "data tables" in report
    _runec(other, tmp_path / "c.rune", "off")
    b, c = (tmp_path / "b.rune").read_bytes(), (tmp_path / "c.rune").read_bytes()
    assert b == c and b"leftwest<MISSING>" in b and b'"name":"other_words"' in b
    assert b != first
    again = _runec(other, tmp_path / "d.rune", str(cache))  # now the whole-output cache's
    assert "code cache" not in again and (tmp_path / "d.rune").read_bytes() == b


def test_one_more_label_rebuilds_only_the_label_kernel_without_numpy(
        tmp_path: Path, filled: tuple[Path, str, bytes]):
    """(b2): the label count decides the label kernel's code (its range check), so neither the
    whole-output nor the code cache serves it; a cold process builds only the label kernel,
    never imports NumPy (fft's frame plan is plain Python, kernels/_frame_plan.py), and its rune
    is byte-identical to one compiled with no cache at all."""
    cache, first_report, first = filled
    assert "kernel units: 0 cached, 4 compiled" in first_report
    other = _microspeech(tmp_path / "more-words", LABELS + "          west\n")
    report = _runec(other, tmp_path / "b.rune", str(cache), "-X", "importtime")
    assert "compile cache" in report and "code cache" in report  # both asked, both missed
    assert "kernel units: 3 cached, 1 compiled" in report
    assert not {name for name in _imported(report) if name.split(".")[0] == "numpy"}
    _runec(other, tmp_path / "c.rune", "off")
    b, c = (tmp_path / "b.rune").read_bytes(), (tmp_path / "c.rune").read_bytes()
    assert b == c and b"rightwest<MISSING>" in b and b != first


def _key(runefile: Path, emit: str = "rune", opt_level: str | None = None) -> str | None:
    engine = DiagnosticEngine()
    parsed, _ = load_runefile(str(runefile), engine)
    check_runefile(parsed, engine)
    request = compile_cache.Request(emit, "wasm32", opt_level, None, False)
    return code_cache.code_key(parsed, request)


def test_the_key_keeps_only_what_decides_code(tmp_path: Path):
    """Other words of the same count and another folder share a key; one more label, another
    argument, another model, another request or a wordlist kept in a resource do not (or have
    none)."""
    base = _key(MICROSPEECH / "Runefile.yml")
    assert base is not None
    assert _key(_microspeech(tmp_path / "a", "          west\n")) == base
    assert _key(_microspeech(tmp_path / "b", "          right\n          west\n")) != base
    assert _key(MICROSPEECH / "Runefile.yml", opt_level="3") != base
    assert _key(MICROSPEECH / "Runefile.yml", emit="obj") is None
    smoothing = _microspeech(tmp_path / "c")
    smoothing.write_text(smoothing.read_text().replace(
        '#noise-filtering"\n', '#noise-filtering"\n    args:\n      smoothing_bits: 9\n'))
    assert "smoothing_bits: 9" in smoothing.read_text() and _key(smoothing) != base
    model = _microspeech(tmp_path / "d")
    (model.parent / "model.tflite").write_bytes(b"TFL3" + bytes(64))
    assert _key(model) != base
    resource = _microspeech(tmp_path / "e")
    text = resource.read_text()
    start = text.index("      wordlist: |")
    end = text.index("  serial:")
    resource.write_text(text[:start] + "      wordlist: $WORDS\n" + text[end:] +
                        "resources:\n  WORDS:\n    inline: \"up\\ndown\"\n    type: string\n")
    assert _key(resource) is None


def test_a_damaged_or_moved_entry_is_not_believed(tmp_path: Path):
    manifest = Manifest(abi_version=1, name="x")
    entry = code_cache.Entry(b"\0asm-object", [("kernel.0.label", "label", "label")], manifest)
    assert code_cache.store(tmp_path, "k1", entry)
    assert code_cache.load(tmp_path, "k1") == entry
    path = tmp_path / "code" / "k1.bin"
    shutil.copy(path, tmp_path / "code" / "k2.bin")
    assert code_cache.load(tmp_path, "k2") is None  # the payload names its key
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x20
    path.write_bytes(bytes(data))
    assert code_cache.load(tmp_path, "k1") is None
