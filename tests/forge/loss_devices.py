"""Simulated devices for the loss test: each is a `Forge` SDK client (its own cache folder and
on-disk telemetry queue) that records an inference event about every `interval` seconds for
`duration` seconds, then waits until its queue is empty. Writes the ids it recorded."""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import threading
import time
from pathlib import Path

from rune.forge.sdk import Forge


def device(args: argparse.Namespace, index: int, stop: threading.Event,
           results: dict[int, dict]) -> None:
    folder = Path(args.out).parent / f"device-{args.first + index}"
    client = Forge(args.url, args.key, args.project, args.public_key, cache_dir=folder,
                   device_id=f"device-{args.first + index}", timeout=10,
                   flush_seconds=args.flush)
    assert client.telemetry is not None
    rng = random.Random(args.first + index)
    time.sleep(rng.uniform(0, args.interval))
    ids = []
    while not stop.is_set():
        total = rng.uniform(5, 50)
        ids.append(client.record("inference", channel="production", total_ms=total,
                      stages={"model:model": total * 0.8, "capability_read": total * 0.1}))
        stop.wait(args.interval)
    empty = client.telemetry.flush(args.drain)
    failures = client.telemetry.failed_sends
    client.close()
    db = sqlite3.connect(folder / args.project / "telemetry.db")
    left = db.execute("SELECT count(*) FROM queue").fetchone()[0]
    db.close()
    results[index] = {"ids": ids, "empty": empty, "left": left, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "key", "project", "public_key", "out"):
        parser.add_argument(f"--{name.replace('_', '-')}", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--flush", type=float, default=2.0)
    parser.add_argument("--drain", type=float, default=180)
    args = parser.parse_args()
    stop = threading.Event()
    results: dict[int, dict] = {}
    threads = [threading.Thread(target=device, args=(args, i, stop, results))
               for i in range(args.devices)]
    for thread in threads:
        thread.start()
    time.sleep(args.duration)
    stop.set()
    for thread in threads:
        thread.join()
    Path(args.out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
