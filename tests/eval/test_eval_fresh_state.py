"""Every example runs on the rune as loaded: its memory (kernel state kept across runs) and its
RAND generator are put back before each run, so results do not depend on order or sharding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from evalkit import runec
from rune.abi.container import read_rune
from rune.eval import evaluate
from rune.runtime.stages import StagedRune

RAND_RUNEFILE = """version: 1
image: runicos/base
pipeline:
  noise:
    capability: RAND
    outputs:
      - type: F32
        dimensions: [1, 4]
  serial:
    out: serial
    inputs: [noise]
"""


def test_restore_rewinds_memory_and_rand(tmp_path: Path) -> None:
    (tmp_path / "Runefile.yml").write_text(RAND_RUNEFILE)
    rune = runec(tmp_path / "Runefile.yml", tmp_path / "r.rune")
    staged = StagedRune(read_rune(rune.read_bytes()), seed=5)
    first = np.array(staged.run({})[0]["serial"].value)
    second = np.array(staged.run({})[0]["serial"].value)
    assert not np.array_equal(first, second)  # the generator moved on
    memory = staged.rune._guest._mem
    loaded = memory[-16:].copy()
    memory[-16:] = ~loaded  # as a kernel's state would change
    staged.restore()
    assert np.array_equal(memory[-16:], loaded)
    again, stages = staged.run({})
    assert np.array_equal(np.array(again["serial"].value), first)
    assert set(stages) >= {"inputs", "capability_read", "output_write", "guest", "outputs"}


def test_reversed_order_same_results(microspeech: Path, clips: Path, tmp_path: Path) -> None:
    rows = (clips / "clips.csv").read_text().splitlines()
    forward, backward = tmp_path / "forward.csv", tmp_path / "backward.csv"
    forward.write_text("\n".join(f"{clips}/{row}" for row in rows[1:]) + "\n")
    backward.write_text("\n".join(f"{clips}/{row}" for row in reversed(rows[1:])) + "\n")
    one, two = (evaluate(microspeech, manifest, workers=0, progress=False, listed=400).data
                for manifest in (forward, backward))  # fmt: skip
    assert one["confusion"] == two["confusion"] and one["accuracy"] == two["accuracy"]
    assert sorted(map(str, one["misclassified"])) == sorted(map(str, two["misclassified"]))
