"""The manifest's JSON Schema, derived from the dataclasses in `rune.abi.manifest`.

`docs/manifest.schema.json` is this module's output, checked in so that hosts in other languages
(the browser host, firmware tools) validate and type the manifest without Python; a test keeps it
current. Regenerate it with `python -m rune.abi.schema` (or `make schema`, which also writes the
import table as docs/abi-imports.json).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any

from .imports import ABI_VERSION
from .imports import as_json as imports_json
from .manifest import (
    JsonObject,
    Manifest,
    field_types,
    is_required,
    is_wire_field,
    optional_inner,
)

SCHEMA_ID = "https://rune.dev/schemas/manifest.schema.json"


def _type_schema(hint: Any, meta: typing.Mapping[str, Any], defs: dict[str, Any]) -> dict:
    inner = optional_inner(hint)
    if inner is not None:
        return _type_schema(inner, meta, defs)
    if hint is int:
        return {"type": "integer", "minimum": 0}
    if hint is str:
        out: dict[str, Any] = {"type": "string"}
        if "enum" in meta:
            out["enum"] = list(meta["enum"])
        return out
    if hint == JsonObject:
        return {"type": "object"}
    if dataclasses.is_dataclass(hint):
        _define(hint, defs)
        return {"$ref": f"#/$defs/{hint.__name__}"}
    if typing.get_origin(hint) is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(hint)[0], {}, defs)}
    raise TypeError(f"no JSON Schema for {hint!r}")


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = field_types(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in filter(is_wire_field, dataclasses.fields(cls)):
        prop = _type_schema(hints[f.name], f.metadata, defs)
        if "doc" in f.metadata:
            prop = {"description": f.metadata["doc"], **prop}
        properties[f.name] = prop
        if is_required(f):
            required.append(f.name)
    return {
        "type": "object",
        "description": inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0],
        "properties": properties,
        "required": required,
    }


def _define(cls: type, defs: dict[str, Any]) -> None:
    if cls.__name__ not in defs:
        defs[cls.__name__] = {}  # placeholder: breaks cycles, keeps first-seen order
        defs[cls.__name__] = _object_schema(cls, defs)


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `rune.manifest`. Unknown fields are allowed: hosts ignore
    what they do not know, so adding a field is not an incompatible change."""
    defs: dict[str, Any] = {}
    root = _object_schema(Manifest, defs)
    root["properties"]["abi_version"]["const"] = ABI_VERSION
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"rune.manifest (ABI version {ABI_VERSION})",
        **root,
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as checked in: two-space indent, a trailing newline."""
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False) + "\n"


def imports_text() -> str:
    """The import table as checked in (docs/abi-imports.json)."""
    return json.dumps(imports_json(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m rune.abi.schema [--imports] [PATH]`: write the manifest schema (or, with
    --imports, the import table as JSON) to PATH (default: stdout)."""
    args = sys.argv[1:] if argv is None else argv
    text = schema_text
    if args[:1] == ["--imports"]:
        text, args = imports_text, args[1:]
    if not args:
        sys.stdout.write(text())
        return 0
    Path(args[0]).write_text(text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
