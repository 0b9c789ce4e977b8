"""What every engine runs: a rune loaded once, evaluating examples one at a time.

In-process, in a local worker process and in a Ray worker alike, a `Task` (picklable) and the
rune's bytes make an `Evaluator`; `run_shard` gives one `Result` per example, stopping at the
first example that fails. Inputs are routed to capabilities as `rune run` routes its files.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rune.abi.container import read_rune
from rune.runtime.capabilities import assign_sources, group_of
from rune.runtime.errors import RuneError
from rune.runtime.limits import Limits
from rune.runtime.native import quiet_native_stderr
from rune.runtime.stages import StagedRune

from .dataset import Example
from .labels import LabelReader


@dataclass(frozen=True)
class Task:
    """Everything a worker needs besides the rune's bytes."""

    labels: tuple[str, ...] | None
    output: str | None
    seed: int
    limits: Limits


@dataclass(frozen=True)
class Result:
    """One example's outcome: the predicted label and nanoseconds per stage (`total` is the
    whole run), or the error that stopped it."""

    index: int
    predicted: str | None
    stages: dict[str, int]
    error: str | None = None
    worker: int = 0  # the process id that ran it


def rune_key(rune: bytes, task: Task) -> str:
    """Identifies a loaded Evaluator, so a worker process loads each rune once."""
    return hashlib.sha256(rune + repr(task).encode()).hexdigest()


class Evaluator:
    """A loaded rune, its label reader, and its stage timer."""

    def __init__(self, rune: bytes, task: Task) -> None:
        container = read_rune(rune)
        with quiet_native_stderr():
            self._staged = StagedRune(container, seed=task.seed, limits=task.limits)
        manifest = self._staged.rune.manifest
        self._manifest = manifest
        self._read_label = LabelReader(manifest, task.labels, task.output)
        self._pid = os.getpid()

    def run(self, example: Example) -> Result:
        try:
            inputs = assign_sources(self._manifest, {group_of(example.path): [example.path]})
            self._staged.restore()
            start = time.perf_counter_ns()
            outputs, stages = self._staged.run(inputs)
            stages["total"] = time.perf_counter_ns() - start
            return Result(example.index, self._read_label(outputs), stages, None, self._pid)
        except RuneError as exc:
            return Result(example.index, None, {}, f"{example.name}: {exc}", self._pid)

    def run_shard(self, examples: Sequence[Example]) -> list[Result]:
        results = []
        for example in examples:
            results.append(self.run(example))
            if results[-1].error is not None:
                break
        return results
