"""`evaluate`: a rune measured on a labelled dataset, in this process, in local worker
processes or on a Ray cluster, reduced into one `EvalReport`."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rune.abi.container import read_rune
from rune.runtime.capabilities import assign_sources, group_of
from rune.runtime.errors import RuneError
from rune.runtime.limits import Limits
from rune.runtime.manifest import Manifest, parse_manifest
from rune.runtime.stages import stage_order

from . import engines
from .dataset import Dataset, load_dataset, read_labels
from .errors import EvalError
from .labels import LabelReader
from .report import EvalReport, build_report
from .worker import Evaluator, Result, Task

#: Largest shard: small enough that the progress bar moves and workers share the tail evenly.
MAX_SHARD = 32


def _check_routes(manifest: Manifest, dataset: Dataset) -> None:
    """Every example's file kind is one the rune reads, checked once per kind before running."""
    seen: set[str] = set()
    for example in dataset.examples:
        try:
            group = group_of(example.path)
            if group not in seen:
                assign_sources(manifest, {group: [example.path]})
                seen.add(group)
        except RuneError as exc:
            raise EvalError(f"{example.name}: {exc}") from None


def _check_labels(dataset: Dataset, labels: Sequence[str] | None, source: str) -> None:
    if labels is None:
        return
    known = set(labels)
    for example in dataset.examples:
        if example.label not in known:
            raise EvalError(
                f'{example.name}: label "{example.label}" is not in {source} '
                f"({', '.join(labels)})"
            )


def _shards(dataset: Dataset, parallel: int) -> list[tuple[Any, ...]]:
    examples = dataset.examples
    size = max(1, min(MAX_SHARD, -(-len(examples) // (4 * max(parallel, 1)))))
    return [examples[i : i + size] for i in range(0, len(examples), size)]


def _progress_bar(total: int, enabled: bool | None) -> Any:
    """A tqdm bar on stderr when enabled (None: when stderr is a terminal and tqdm is
    installed, the `eval` extra); None otherwise."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="example", file=sys.stderr, leave=False)


def evaluate(
    rune: str | os.PathLike[str] | bytes,
    dataset: str | os.PathLike[str] | Dataset,
    *,
    labels: Sequence[str] | str | os.PathLike[str] | None = None,
    output: str | None = None,
    workers: int | None = None,
    ray: bool = False,
    ray_address: str | None = None,
    seed: int = 0,
    limits: Limits | None = None,
    progress: bool | None = None,
    listed: int = 100,
) -> EvalReport:
    """Run `rune` on every example of `dataset` and report how it did.

    `labels` is a list or a labels file (one per line) that an index or score output reads
    into; `output` picks the output stage (default: the first that reads as a label).
    `workers`: 0 runs in this process, N in N local worker processes (default: one per CPU);
    `ray`/`ray_address` run on a Ray cluster instead. `listed` caps the misclassified examples
    the report lists. Raises EvalError (a RuneError) for any bad input.
    """
    data = bytes(rune) if isinstance(rune, (bytes, bytearray)) else Path(rune).read_bytes()
    manifest = parse_manifest(read_rune(data).manifest)
    source = "--labels"
    if isinstance(labels, (str, os.PathLike)):
        source = os.fspath(labels)
        labels = read_labels(labels)
    label_list = tuple(labels) if labels is not None else None
    reader = LabelReader(manifest, label_list, output)
    if not isinstance(dataset, Dataset):
        dataset = load_dataset(dataset)
    _check_labels(dataset, label_list, source)
    _check_routes(manifest, dataset)
    task = Task(label_list, reader.output, seed, limits if limits is not None else Limits())
    use_ray = ray or ray_address is not None
    count = (os.cpu_count() or 1) if workers is None else workers
    if count < 0:
        raise EvalError(f"workers must be 0 (in this process) or more, got {count}")
    if listed < 0:
        raise EvalError(f"the number of misclassified examples to list must be 0 or more, "
                        f"got {listed}")  # fmt: skip
    start = time.perf_counter()
    # Loaded here whatever the engine, so a rune that cannot load fails once, clearly, before
    # any worker starts; the in-process engine runs on it.
    evaluator = Evaluator(data, task)
    shards = _shards(dataset, count)
    if not use_ray:
        count = min(count, len(shards))
    results: list[Result | None] = [None] * len(dataset.examples)
    bar = _progress_bar(len(dataset.examples), progress)
    failures: list[Result] = []

    def done(shard: list[Result]) -> bool:
        for result in shard:
            results[result.index] = result
            if result.error is not None:
                failures.append(result)
        if bar is not None:
            bar.update(len(shard))
        return not failures

    try:
        if use_ray:
            engines.run_ray(data, task, shards, done, ray_address)
            mode = "ray"
        elif count == 0:
            engines.run_inline(evaluator, shards, done)
            mode = "in-process"
        else:
            engines.run_local(data, task, shards, done, count)
            mode = "local"
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - start
    if failures:
        raise EvalError(min(failures, key=lambda r: r.index).error)
    finished = [r for r in results if r is not None]
    if len(finished) != len(results):
        raise EvalError(f"{len(results) - len(finished)} examples got no result")
    return build_report(
        rune={"name": manifest.name, "sha256": hashlib.sha256(data).hexdigest(),
              "output": reader.output, "reads": reader.reading},  # fmt: skip
        dataset=dataset,
        labels=label_list,
        results=finished,
        stage_order=stage_order([m.name for m in manifest.models]),
        timing={"mode": mode, "workers": None if use_ray else count,
                "shards": len(shards), "wall_s": round(wall, 4)},  # fmt: skip
        listed=listed,
    )
