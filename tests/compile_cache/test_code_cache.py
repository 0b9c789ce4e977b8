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
NOISE = '#noise-filtering"\n'


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


def _smoothing_bits(runefile: Path, bits: int) -> Path:
    """The Runefile with noise_filtering's smoothing_bits set (a code-deciding argument)."""
    text = runefile.read_text()
    assert NOISE in text
    runefile.write_text(text.replace(NOISE, NOISE + f"    args:\n      smoothing_bits: {bits}\n"))
    return runefile


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
    """(b): other words, and more of them: no xDSL, NumPy or compiler imported; the rune is the
    uncached compile's bytes, with this folder's name and this Runefile's words."""
    cache, _, first = filled
    assert len(list((cache / "code").glob("*.bin"))) == 1
    other = _microspeech(tmp_path / "other-words", "          west\n          north\n")
    report = _runec(other, tmp_path / "b.rune", str(cache), "-X", "importtime")
    imported = _imported(report)
    assert "rune.tools.code_cache" in imported and "llvmlite.binding" in imported
    assert not {name for name in imported if name.split(".")[0] in ("xdsl", "numpy")}
    assert "rune.tools.compiler" not in imported and "kernel units" not in report
    assert "data tables" in report
    _runec(other, tmp_path / "c.rune", "off")
    b, c = (tmp_path / "b.rune").read_bytes(), (tmp_path / "c.rune").read_bytes()
    assert b == c and b"leftwestnorth<MISSING>" in b and b'"name":"other_words"' in b
    assert b != first
    again = _runec(other, tmp_path / "d.rune", str(cache))  # now the whole-output cache's
    assert "code cache" not in again and (tmp_path / "d.rune").read_bytes() == b


def test_a_code_deciding_argument_rebuilds_only_its_kernel(
        tmp_path: Path, filled: tuple[Path, str, bytes]):
    """(b2): noise_filtering's smoothing_bits decides its kernel's code, so neither the
    whole-output nor the code cache serves it; a cold process builds only that kernel. (That a
    kernel-cache hit gives the uncached bytes: test_kernel_cache.py, and bench_compile_time
    checks this very case on every run.)"""
    cache, first_report, first = filled
    assert "kernel units: 0 cached, 4 compiled" in first_report
    other = _smoothing_bits(_microspeech(tmp_path / "smoother"), 9)
    report = _runec(other, tmp_path / "b.rune", str(cache))
    assert "compile cache" in report and "code cache" in report  # both asked, both missed
    assert "kernel units: 3 cached, 1 compiled" in report
    assert (tmp_path / "b.rune").read_bytes() != first


def test_a_compile_with_every_kernel_cached_never_imports_numpy(
        tmp_path: Path, filled: tuple[Path, str, bytes]):
    """A stage renamed: the code cache misses (the pipeline differs), every kernel is cached,
    and NumPy is never imported: fft's frame plan is plain Python (kernels/_frame_plan.py)."""
    cache = filled[0]
    other = _microspeech(tmp_path / "renamed")
    other.write_text(other.read_text().replace("  serial:\n", "  speaker:\n"))
    report = _runec(other, tmp_path / "b.rune", str(cache), "-X", "importtime")
    assert "kernel units: 4 cached, 0 compiled" in report
    imported = _imported(report)
    assert "xdsl.dialects.builtin" in imported
    assert not {name for name in imported if name.split(".")[0] == "numpy"}
    assert b'"name":"speaker"' in (tmp_path / "b.rune").read_bytes()


def _key(runefile: Path, emit: str = "rune", opt_level: str | None = None) -> str | None:
    engine = DiagnosticEngine()
    parsed, _ = load_runefile(str(runefile), engine)
    check_runefile(parsed, engine)
    request = compile_cache.Request(emit, "wasm32", opt_level, None, False)
    return code_cache.code_key(parsed, request)


def test_the_key_keeps_only_what_decides_code(tmp_path: Path):
    """Other words, more words and another folder share a key; another argument, another
    model, another request or a wordlist kept in a resource do not (or have none)."""
    base = _key(MICROSPEECH / "Runefile.yml")
    assert base is not None
    assert _key(_microspeech(tmp_path / "a", "          west\n")) == base
    assert _key(_microspeech(tmp_path / "b", "          right\n          west\n")) == base
    assert _key(MICROSPEECH / "Runefile.yml", opt_level="3") != base
    assert _key(MICROSPEECH / "Runefile.yml", emit="obj") is None
    smoothing = _smoothing_bits(_microspeech(tmp_path / "c"), 9)
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
