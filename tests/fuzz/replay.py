"""Replay inputs through one target without a fuzzer: `python replay.py TARGET WORKDIR FILE...`.

Prints `ok FILE: OUTCOME` or `finding FILE: ...` per input (flushed before the next starts, so
a native crash leaves the last `running FILE` line as the culprit) and exits 1 if any input was
a finding.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import targets  # noqa: E402


def main() -> int:
    name, workdir, *files = sys.argv[1:]
    paths = [Path(f).resolve() for f in files]
    targets.setup_workdir(Path(workdir))
    os.chdir(workdir)
    failed = 0
    for path in paths:
        print(f"running {path.name}", flush=True)
        try:
            outcome = targets.TARGETS[name](path.read_bytes())
            print(f"ok {path.name}: {outcome}", flush=True)
        except BaseException as exc:  # noqa: BLE001 (a finding of any kind, even SystemExit)
            failed += 1
            print(f"finding {path.name}: {type(exc).__name__}: {exc}"[:500], flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
