"""Write the ABI's facts, as `rune.abi` owns them, to JSON for the TypeScript host.

Run at build time (`make web`): the import table, statuses and element sizes come from
`rune.abi` (the one owner of the contract), the capability kinds and file extensions from the
Python host's capabilities, so the web host is driven by the same tables.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rune.abi import imports, manifest
from rune.runtime import capabilities


def table() -> dict[str, object]:
    return {
        "abi_version": imports.ABI_VERSION,
        "import_module": imports.IMPORT_MODULE,
        "entry_point": imports.ENTRY_POINT,
        "imports": {imp.name: {"params": list(imp.wasm_params), "results": list(imp.wasm_results),
                               "failure": int(imp.failure)}
                    for imp in imports.IMPORTS},
        "status": {s.name: int(s) for s in imports.Status},
        "element_bytes": dict(manifest.ELEMENT_BYTES),
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
