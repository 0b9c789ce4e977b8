"""Where the examples run: in this process, in local worker processes, or on a Ray cluster.

Every engine takes the same shards and hands back each shard's results as it finishes (through
`done`, which says whether to go on: not after a failed example); `evaluate` puts them back in
dataset order, so the report is the same whichever engine ran it. Each worker process loads the
rune once.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .dataset import Example
from .errors import EvalError
from .local_ray import LOOPBACK_ENV
from .worker import Evaluator, Result, Task, rune_key

Shard = Sequence[Example]
#: Takes a finished shard's results; False: stop (an example failed).
Done = Callable[[list[Result]], bool]

# -- in this process ---------------------------------------------------------------------------


def run_inline(evaluator: Evaluator, shards: Sequence[Shard], done: Done) -> None:
    for shard in shards:
        if not done(evaluator.run_shard(shard)):
            return


# -- local worker processes --------------------------------------------------------------------

_evaluator: Evaluator | None = None


def _start_worker(rune: bytes, task: Task) -> None:
    """A worker's initializer: load the rune once. Native libraries' notes on stderr are
    dropped (a worker reports through its results)."""
    global _evaluator
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    _evaluator = Evaluator(rune, task)


def _run_local_shard(shard: Shard) -> list[Result]:
    assert _evaluator is not None
    return _evaluator.run_shard(shard)


def run_local(rune: bytes, task: Task, shards: Sequence[Shard], done: Done, workers: int) -> None:
    """`workers` spawned processes (not forked: the parent may hold wasmtime's and LiteRT's
    threads), each loading the rune in its initializer."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker,
        initargs=(rune, task),
    ) as pool:  # fmt: skip
        pending = {pool.submit(_run_local_shard, shard) for shard in shards}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        results = future.result()
                    except BrokenProcessPool as exc:
                        raise EvalError(f"a worker process died: {exc}") from None
                    if not done(results):
                        return
        finally:
            for future in pending:
                future.cancel()


# -- Ray ---------------------------------------------------------------------------------------

#: Per Ray worker process: loaded Evaluators by `rune_key`, so each rune loads once per worker.
_ray_cache: dict[str, Evaluator] = {}


def _run_ray_shard(key: str, rune: bytes, task: Task, shard: Shard) -> list[Result]:
    evaluator = _ray_cache.get(key)
    if evaluator is None:
        evaluator = _ray_cache[key] = Evaluator(rune, task)
    return evaluator.run_shard(shard)


def _import_ray() -> Any:
    """The ray module, an optional dependency."""
    try:
        import ray
    except ImportError:
        raise EvalError(
            "evaluating on Ray needs the ray extra: pip install 'rune-runtime[ray]'"
        ) from None
    return ray


def run_ray(
    rune: bytes, task: Task, shards: Sequence[Shard], done: Done, address: str | None
) -> None:
    """One Ray task per shard on the cluster at `address` (None: the one RAY_ADDRESS names, or
    a new one on this machine's loopback, stopped when done). The rune goes into the object
    store once; the dataset's paths must be readable on every node (one machine, or shared
    storage)."""
    local = address is None and not os.environ.get("RAY_ADDRESS")
    if local:  # a new Ray for this machine only: on loopback (read when ray is imported)
        for name, value in LOOPBACK_ENV.items():
            os.environ.setdefault(name, value)
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        options = {"include_dashboard": False} if local else {}
        try:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR",
                     configure_logging=False, **options)  # fmt: skip
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise EvalError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    try:
        remote = ray.remote(_run_ray_shard)
        key = rune_key(rune, task)
        rune_ref = ray.put(rune)
        pending = [remote.remote(key, rune_ref, task, list(shard)) for shard in shards]
        try:
            while pending:
                finished, pending = ray.wait(pending, num_returns=1)
                try:
                    results = ray.get(finished[0])
                except ray.exceptions.RayError as exc:
                    reason = str(exc).strip().splitlines()
                    raise EvalError(f"a Ray task failed: {reason[0] if reason else exc}") from None
                if not done(results):
                    return
        finally:
            for ref in pending:
                ray.cancel(ref)
    finally:
        if started_here:
            ray.shutdown()
