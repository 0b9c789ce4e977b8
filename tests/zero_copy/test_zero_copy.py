"""Copy-free inputs and outputs: `Rune.input_buffer` and `Rune.load(..., output_views=True)`."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from rune.frontend.diagnostics import DiagnosticEngine
from rune.runtime.errors import CapabilityError
from rune.runtime.host import Rune
from rune.tools.compiler import CompileOptions, compile_runefile

REPO = Path(__file__).resolve().parents[2]
RUN_PASS = REPO.parent / "shared" / "peer-suite" / "hotg-rune" / "integration-tests" / "run-pass"
CHAIN = """\
version: 1
image: runicos/base
pipeline:
  pixels:
    capability: RAW
    outputs: [{type: u8, dimensions: [1, 8, 8, 3]}]
  scaled:
    proc-block: cast
    inputs: [pixels]
    outputs: [{type: f32, dimensions: [1, 8, 8, 3]}]
  nchw:
    proc-block: transpose
    inputs: [scaled]
    outputs: [{type: f32, dimensions: [1, 3, 8, 8]}]
    args: {perm: "0,3,1,2"}
  serial:
    out: serial
    inputs: [nchw]
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("chain") / "Runefile.yml"
    path.write_text(CHAIN)
    return compile_runefile(path, "rune", CompileOptions(), DiagnosticEngine())


def _frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)


def test_input_buffer_is_the_guest_slot(chain):
    rune = Rune.load(chain)
    buffer = rune.input_buffer("pixels")
    assert buffer.shape == (1, 8, 8, 3) and buffer.dtype == np.uint8 and buffer.flags.writeable
    for seed in range(3):
        frame = _frame(seed)
        buffer[...] = frame
        got = rune.run()[0].tensors[0].data
        np.testing.assert_array_equal(got, frame.astype(np.float32).transpose(0, 3, 1, 2))
    # an input given to run still wins, and is what the slot then holds
    other = _frame(9)
    got = rune.run({"pixels": other})[0].tensors[0].data
    np.testing.assert_array_equal(got, other.astype(np.float32).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(buffer, other)


def test_input_buffer_unknown_name(chain):
    with pytest.raises(CapabilityError, match='no capability stage named "camera"'):
        Rune.load(chain).input_buffer("camera")


def test_output_views_are_read_only_views_until_the_next_run(chain):
    copies, views = Rune.load(chain), Rune.load(chain, output_views=True)
    first, second = _frame(1), _frame(2)
    kept = copies.run({"pixels": first})[0].tensors[0].data
    view = views.run({"pixels": first})[0].tensors[0].data
    np.testing.assert_array_equal(view, kept)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0, 0, 0] = 1.0
    views.run({"pixels": second})
    # the view now shows the second run's output: it is guest memory, not a copy
    np.testing.assert_array_equal(view, second.astype(np.float32).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(kept, first.astype(np.float32).transpose(0, 3, 1, 2))


def test_finding_the_slot_runs_no_stage():
    """Finding the slot enters rune_run but stops at the capability read: the front end's noise
    filtering keeps its estimate across runs, so any stage run would change the features."""
    runefile = REPO / "tests" / "mcu" / "runefiles" / "front_end" / "Runefile.yml"
    data = compile_runefile(str(runefile), "rune", CompileOptions(), DiagnosticEngine())
    with wave.open(str(RUN_PASS / "microspeech-up" / "up.wav")) as recording:
        audio = np.frombuffer(recording.readframes(16000), dtype="<i2").reshape(1, 16000)
    fresh = Rune.load(data)
    expected = [fresh.run({"audio": audio})[0].tensors[0].data.copy() for _ in range(2)]
    assert not np.array_equal(*expected)  # the state shows: a second run differs
    rune = Rune.load(data)
    buffer = rune.input_buffer("audio")
    for features in expected:
        buffer[...] = audio
        np.testing.assert_array_equal(rune.run()[0].tensors[0].data, features)
