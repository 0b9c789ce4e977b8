"""rune.runtime: load a `.rune` (wasm32 module + manifest + blobs) and run it.

    from rune.runtime import Rune
    rune = Rune.load("sine.rune")
    outputs = rune.run({"angle": "input.bin"})
    print(outputs["serial"].value)

Names are imported lazily so that `import rune.runtime.<submodule>` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: name -> its module: one of ours (relative) or the ABI's (absolute).
_EXPORTS = {
    "Rune": "host",
    "StreamResult": "host",
    "Output": "results",
    "Outputs": "results",
    "TensorValue": "results",
    "Limits": "limits",
    "RuneContainer": "rune.abi.container",
    "read_rune": "rune.abi.container",
    "write_rune": "rune.abi.container",
    "Manifest": "manifest",
    "parse_manifest": "manifest",
    "ABI_VERSION": "rune.abi.imports",
    "CapabilityRegistry": "capabilities",
    "register_capability": "capabilities",
    "HandlerRegistry": "handlers",
    "register_handler": "handlers",
    "RuneError": "errors",
    "RuneLoadError": "errors",
    "CapabilityError": "errors",
    "ModelError": "errors",
    "RuneRunError": "errors",
    "GuestMemoryError": "errors",
    "LimitError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    path = module if module.startswith("rune.") else f"{__name__}.{module}"
    return getattr(importlib.import_module(path), name)
