"""Write the ABI's facts, as the Python host owns them, to JSON for the TypeScript host.

Run at build time (`make web`): the import table, statuses, element sizes, capability kinds and
file extensions are then written once, in Python, and the web host is driven by them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rune.runtime import abi, capabilities, manifest
from rune.runtime.guest import IMPORT_SIGNATURES


def table() -> dict[str, object]:
    return {
        "abi_version": manifest.ABI_VERSION,
        "import_module": abi.IMPORT_MODULE,
        "imports": {
            name: {"params": list(IMPORT_SIGNATURES[name][0]),
                   "results": list(IMPORT_SIGNATURES[name][1])}
            for name in abi.IMPORT_NAMES
        },
        "status": {s.name: int(s) for s in abi.Status},
        "element_bytes": {k: v.itemsize for k, v in manifest.ELEMENT_DTYPES.items()},
        "capability_kinds": list(capabilities.KNOWN_KINDS),
        "source_groups": dict(capabilities.SOURCE_GROUPS),
        "extensions": dict(capabilities.EXTENSIONS),
    }  # fmt: skip


def main() -> None:
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(table(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
