"""The studio's palette, read from the compiler's own kernel library: every kernel with its
summary, argument types, defaults, bounds and docs, so a new kernel appears without UI work."""

from __future__ import annotations

from typing import Any

from rune.frontend.ast import ELEMENT_TYPES
from rune.ir.dialect import CAPABILITY_KINDS, OUTPUT_KINDS
from rune.kernels import LIBRARY, lookup


def _arg(spec: Any) -> dict[str, Any]:
    return {"name": spec.name, "type": spec.type.__name__, "default": spec.default,
            "required": spec.required, "minimum": spec.minimum, "maximum": spec.maximum,
            "choices": list(spec.choices), "doc": spec.doc}


def catalog() -> dict[str, Any]:
    """Kernels, capability kinds, output kinds and element types, from the compiler's tables."""
    return {"kernels": kernel_catalog(), "capabilities": list(CAPABILITY_KINDS),
            "outputs": list(OUTPUT_KINDS), "element_types": list(ELEMENT_TYPES)}


def kernel_catalog() -> list[dict[str, Any]]:
    """One entry per kernel name, sorted by name."""
    entries = []
    for name in sorted(LIBRARY):
        block = lookup(name)
        if block is None:
            continue
        element_types = getattr(block, "element_types", None)
        entries.append({
            "name": name, "summary": block.summary, "origin": block.origin,
            "args": [_arg(spec) for spec in block.arg_specs],
            "element_types": list(element_types) if element_types is not None else None,
            "elementwise": element_types is not None,
        })
    return entries
