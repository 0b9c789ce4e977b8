"""The ABI's version, its import table and its status codes, as data (docs/abi.md).

Everything that declares, links or documents the imports reads this table: the compiler's
lowering (`lower-pipeline` declares one bodiless function per import), the wasmtime and wasm3
hosts, the C header for native firmware, docs/abi.md's table and docs/abi-imports.json (for
hosts in other languages; `make schema` writes it, a test keeps both current).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

#: Changes whenever an import, an export, the tensor layout or the manifest's meaning changes
#: incompatibly; a host refuses a rune whose version it does not implement.
ABI_VERSION = 1

#: The wasm module name of every import.
IMPORT_MODULE = "rune"
#: The C symbol of import `X` on native targets (and the function the lowering declares).
SYMBOL_PREFIX = "rune_"
#: The one function a rune exports besides its memory.
ENTRY_POINT = "rune_run"


class Status(IntEnum):
    """What an import returns; any non-zero value stops the run and comes back out of
    `rune_run`, so the host can keep its own message for it."""

    OK = 0
    CAPABILITY = 1
    MODEL = 2
    OUTPUT = 3
    MEMORY = 4  # a pointer or length outside the rune's memory
    INTERNAL = 5


@dataclass(frozen=True)
class Param:
    """One i32 argument of an import; `c_decl` is its declaration in the native C hook."""

    name: str
    meaning: str
    c_decl: str = ""

    def c(self) -> str:
        return self.c_decl or f"int32_t {self.name}"


@dataclass(frozen=True)
class Import:
    """One function of module `rune`: its i32 parameters, whether it returns an i32 status, the
    status a host reports when it fails, and whether native firmware implements it as a hook."""

    name: str
    params: tuple[Param, ...]
    returns_status: bool
    failure: Status
    meaning: str
    native_hook: bool = True
    c_note: str = ""  # a comment after the C hook's declaration

    @property
    def symbol(self) -> str:
        """The C symbol (native targets) and the name the lowering declares."""
        return SYMBOL_PREFIX + self.name

    @property
    def wasm_params(self) -> tuple[str, ...]:
        return ("i32",) * len(self.params)

    @property
    def wasm_results(self) -> tuple[str, ...]:
        return ("i32",) if self.returns_status else ()

    @property
    def wasm3_signature(self) -> str:
        """wasm3's notation, e.g. `i(iii)`."""
        return ("i" if self.returns_status else "v") + "(" + "i" * len(self.params) + ")"

    def c_declaration(self) -> str:
        """The native hook's C prototype (docs/abi.md, "The native form")."""
        params = ", ".join(p.c() for p in self.params)
        note = f" /* {self.c_note} */" if self.c_note else ""
        return f"{'int32_t' if self.returns_status else 'void'} {self.symbol}({params});{note}"

    def signature(self) -> str:
        """The documented form, e.g. `(capability: i32, ptr: i32, len: i32) -> i32`."""
        params = ", ".join(f"{p.name}: i32" for p in self.params)
        return f"({params}) -> " + ("i32" if self.returns_status else "()")


_CAPABILITY = Param("capability", "index into the manifest's `capabilities`")
_MODEL = Param("model", "index into the manifest's `models`")
_OUTPUT = Param("output", "index into the manifest's `outputs`")
_SLOT = Param("slot", "index into that entry's `inputs` or `outputs` list")
_PTR_IN = Param("ptr", "offset in the rune's `memory` of the bytes the host writes",
                "uint8_t *dest")
_PTR_OUT = Param("ptr", "offset in the rune's `memory` of the bytes the host reads",
                 "const uint8_t *src")
_LEN = Param("len", "the tensor's length in bytes")

#: The imports of module `rune`, in documentation order.
IMPORTS: tuple[Import, ...] = (
    Import(
        "capability_read", (_CAPABILITY, _PTR_IN, _LEN), True, Status.CAPABILITY,
        "fill `len` bytes at `ptr` with capability `capability`'s input for this run (its one "
        "tensor, little-endian); reading it again in the same run gives the same bytes",
    ),
    Import(
        "model_set_input", (_MODEL, _SLOT, _PTR_OUT, _LEN), True, Status.MODEL,
        "copy input tensor `slot` of model `model` from the rune",
    ),
    Import(
        "model_invoke", (_MODEL,), True, Status.MODEL,
        "run model `model` on the inputs set since its last invocation",
        c_note="e.g. TFLite Micro's Invoke()",
    ),
    Import(
        "model_get_output", (_MODEL, _SLOT, _PTR_IN, _LEN), True, Status.MODEL,
        "copy output tensor `slot` of model `model` into the rune",
    ),
    Import(
        "output_write", (_OUTPUT, _SLOT, _PTR_OUT, _LEN), True, Status.OUTPUT,
        "hand input `slot` of output stage `output` to the host",
    ),
    Import(
        "log",
        (Param("level", "0 error, 1 warning, 2 info, 3 debug"),
         Param("ptr", "offset of the UTF-8 message in the rune's `memory`"),
         Param("len", "the message's length in bytes")),
        False, Status.INTERNAL,
        "a UTF-8 message at `level` (0 error, 1 warning, 2 info, 3 debug). A bad pointer here "
        "cannot abort the call; the host fails the run once `rune_run` returns",
        native_hook=False,
    ),
    Import(
        "probe", (Param("id", "`2k` before and `2k + 1` after kernel `k`"),), False,
        Status.INTERNAL,
        "only in runes compiled with `runec --profile` (pass `insert-stage-probes`): called with "
        "`2k` before and `2k + 1` after kernel `k` (a proc block's kernel, or the operators of a "
        "model compiled into the rune, together), whose stage name is `probes[k]` in the "
        "manifest. `rune bench --kernels` records a monotonic clock at each call; otherwise, and "
        "on wasm3, it does nothing",
        native_hook=False,
    ),
)

IMPORTS_BY_NAME: dict[str, Import] = {imp.name: imp for imp in IMPORTS}
IMPORT_NAMES: tuple[str, ...] = tuple(IMPORTS_BY_NAME)

#: Imports the compiled pipeline calls (the lowering declares these; `log` is for hand-written
#: and future runes, `probe` is declared by insert-stage-probes).
PIPELINE_IMPORTS: tuple[Import, ...] = tuple(imp for imp in IMPORTS if imp.native_hook)

#: Wasm attributes on a bodiless function naming the import it stands for (set by the lowering
#: to LLVM, read by the backend's translation).
IMPORT_MODULE_ATTR = "wasm.import_module"
IMPORT_NAME_ATTR = "wasm.import_name"


# -- derived forms: docs/abi.md's table and docs/abi-imports.json ------------------------------


def as_json() -> dict:
    """The table as JSON data, for hosts in other languages (docs/abi-imports.json)."""
    return {
        "abi_version": ABI_VERSION,
        "module": IMPORT_MODULE,
        "entry_point": ENTRY_POINT,
        "status": {s.name.lower(): int(s) for s in Status},
        "imports": [
            {
                "name": imp.name,
                "params": [{"name": p.name, "type": "i32", "meaning": p.meaning}
                           for p in imp.params],
                "results": list(imp.wasm_results),
                "failure_status": int(imp.failure),
                "native_hook": imp.native_hook,
                "meaning": imp.meaning,
            }
            for imp in IMPORTS
        ],
    }


def markdown_table() -> str:
    """The imports table of docs/abi.md."""
    rows = ["| import | type | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{imp.name}` | `{imp.signature()}` | {imp.meaning} |" for imp in IMPORTS]
    return "\n".join(rows) + "\n"

