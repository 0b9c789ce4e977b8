"""The contract between the compiler and every host (docs/abi.md), owned in one place.

Pure Python and imports nothing else of ours: the compiler (`rune.passes`, `rune.backend_wasm`)
and the runtime (`rune.runtime`) both stand on it, and neither imports the other.

- `imports`: `ABI_VERSION`, the import table and the status codes;
- `manifest`: the manifest as dataclasses and its JSON codec; `schema`: its JSON Schema;
- `container`: the `.rune` file's custom sections, read and written;
- `models`: the TFLite and ONNX readers, used by `check-types` and by the runtime alike.
"""

from .errors import ModelError, RuneError, RuneLoadError
from .imports import ABI_VERSION, IMPORT_MODULE, IMPORTS, Import, Status
from .manifest import Manifest, decode, encode

__all__ = [
    "ABI_VERSION",
    "IMPORTS",
    "IMPORT_MODULE",
    "Import",
    "Manifest",
    "ModelError",
    "RuneError",
    "RuneLoadError",
    "Status",
    "decode",
    "encode",
]
