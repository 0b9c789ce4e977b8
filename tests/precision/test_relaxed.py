"""`--precision=relaxed`: the microspeech front end's i8 features stay within 1 of the exact
build on the four peer-suite recordings, the labels do not change, and the default build is
the exact one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticEngine
from rune.runtime import sound
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

REPO = Path(__file__).resolve().parents[2]
RUN_PASS = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "integration-tests" / "run-pass"
FRONT_END = REPO / "tests" / "mcu" / "runefiles" / "front_end" / "Runefile.yml"
WORDS = ("up", "down", "left", "right")


def _compile(runefile: Path, precision: str) -> bytes:
    return compile_runefile(str(runefile), "rune", CompileOptions(precision=precision),
                            DiagnosticEngine())


def _audio(word: str) -> np.ndarray:
    data = (RUN_PASS / f"microspeech-{word}" / f"{word}.wav").read_bytes()
    return np.asarray(sound.read_wav(data).samples[:16000, 0], dtype="<i2").reshape(1, 16000)


@pytest.fixture(scope="module")
def front_ends() -> dict[str, bytes]:
    return {p: _compile(FRONT_END, p) for p in ("exact", "relaxed")}


def test_default_is_exact(front_ends):
    assert _compile(FRONT_END, CompileOptions().precision) == front_ends["exact"]
    assert front_ends["relaxed"] != front_ends["exact"]


@pytest.mark.parametrize("word", WORDS)
def test_features_within_one(front_ends, word):
    audio = _audio(word)
    exact, relaxed = (Rune.load(front_ends[p]).run({"audio": audio})[0].tensors[0].data
                      .astype(np.int16) for p in ("exact", "relaxed"))
    assert np.abs(exact - relaxed).max() <= 1
    assert (exact != relaxed).sum() <= 5  # measured: at most 1 of 1960 values differs
    assert np.unique(exact).size > 50  # real features, not a constant


def test_labels_unchanged():
    runefile = RUN_PASS / "microspeech-up" / "Runefile.yml"
    runes = {p: _compile(runefile, p) for p in ("exact", "relaxed")}
    for word in WORDS:
        audio = _audio(word)
        got = {p: Rune.load(r).run({"audio": audio})[0].tensors[0].data[0]
               for p, r in runes.items()}
        assert got == {"exact": word, "relaxed": word}
