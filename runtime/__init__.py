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

_EXPORTS = {
    "Rune": "host",
    "StreamResult": "host",
    "Output": "results",
    "Outputs": "results",
    "TensorValue": "results",
    "Limits": "limits",
    "RuneContainer": "container",
    "read_rune": "container",
    "write_rune": "container",
    "Manifest": "manifest",
    "parse_manifest": "manifest",
    "ABI_VERSION": "manifest",
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
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
