"""Session fixtures of the `rune eval` tests: the microspeech rune compiled by runec, a spoken-word
dataset synthesised with espeak-ng and sox, and a real Ray cluster on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from evalkit import PEER, PER_LABEL, runec
from rune.eval import synth
from rune.eval.local_ray import LocalRayCluster


@pytest.fixture(autouse=True, scope="session")
def _module_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled modules go to a temporary cache (inherited by workers), never ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNE_CACHE_DIR", str(tmp_path_factory.mktemp("module-cache")))
        yield


@pytest.fixture(scope="session")
def microspeech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runefile = PEER / "examples" / "microspeech" / "Runefile.yml"
    assert runefile.is_file(), f"the peer suite is missing: {runefile}"
    return runec(runefile, tmp_path_factory.mktemp("runes") / "microspeech.rune")


@pytest.fixture(scope="session")
def sine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rune whose only output is a number: no label."""
    runefile = PEER / "examples" / "sine" / "Runefile.yml"
    return runec(runefile, tmp_path_factory.mktemp("runes") / "sine.rune")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 one-second clips: up/down/left/right/unknown, made once per session."""
    missing = synth.tools_missing()
    assert not missing, f"missing {missing}: run `make eval-deps`"
    out = tmp_path_factory.mktemp("clips")
    made = synth.synthesise(out, per_label=PER_LABEL)
    assert len(made) == 5 * PER_LABEL
    return out


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalRayCluster]:
    """A real Ray cluster, `ray start --head` with two CPUs (two worker processes), on 127.0.0.1
    with a token of its own. Stopped in teardown whatever happened (see LocalRayCluster: only
    the processes it started, never `ray stop`, which would stop every Ray on the machine)."""
    cluster = LocalRayCluster(num_cpus=2)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
