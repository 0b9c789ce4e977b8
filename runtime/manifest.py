"""The runtime's view of the `rune.manifest` JSON (docs/abi.md, "Manifest").

The manifest is the host's only description of the rune's imports, so it is checked up front by
the ABI's one codec (`rune.abi.manifest`): ABI version, field types, tensor references and entry
indices. A bad manifest is a `RuneLoadError` that names the offending field, e.g.
`manifest.capabilities[0].kind`. This module adds what a host wants on top: tensor ids resolved
to `TensorSpec`s with their NumPy dtype and byte size.

The resolved classes are derived from `rune.abi.manifest`'s dataclasses (`_resolved`): the same
fields in the same order, a tensor-id field holding `TensorSpec`s and a list of entries holding
resolved entries, so a manifest field is written only in `rune.abi`.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np
from rune.abi import manifest as abi
from rune.abi.manifest import ELEMENT_BYTES, decode

#: Element type -> dtype of one element *in guest memory* (little-endian, no padding), for every
#: element type of the ABI. A utf8 element is a (ptr: u32, len: u32) pair naming a string
#: elsewhere in memory.
ELEMENT_DTYPES: Mapping[str, np.dtype] = {
    name: np.dtype([("ptr", "<u4"), ("len", "<u4")]) if name == "utf8"
    else np.dtype(f"<{name[0]}{size}")  # u8 -> <u1, f32 -> <f4: kind letter, byte size
    for name, size in ELEMENT_BYTES.items()
}


class _Tensor:
    """What a host adds to a manifest tensor: its element count, dtype and byte size."""

    element_type: str
    dimensions: tuple[int, ...]

    @property
    def count(self) -> int:
        """Number of elements (1 for a 0-d tensor)."""
        return math.prod(self.dimensions)

    @property
    def dtype(self) -> np.dtype:
        """NumPy dtype of one element in guest memory (a (ptr, len) record for utf8)."""
        return ELEMENT_DTYPES[self.element_type]

    @property
    def nbytes(self) -> int:
        """Exact byte length of the tensor in guest memory."""
        return self.count * self.dtype.itemsize

    def describe(self) -> str:
        """Short human form, e.g. `f32[1,1]`."""
        return f"{self.element_type}[{','.join(map(str, self.dimensions))}]"


class _Capability:
    """What a host adds to a capability stage: the one tensor it fills."""

    outputs: tuple[Any, ...]

    @property
    def tensor(self) -> Any:
        """The tensor `capability_read` fills (a capability has exactly one)."""
        return self.outputs[0]


class _Manifest:
    """What a host adds to the manifest: the arena's size and capability lookup by name."""

    capabilities: tuple[Any, ...]
    memory: abi.MemoryPlan | None

    @property
    def arena_bytes(self) -> int | None:
        """The tensor arena's size, if the rune has a memory plan."""
        return None if self.memory is None else self.memory.arena_bytes

    def capability(self, name: str) -> Any:
        """Look a capability stage up by name (KeyError if absent)."""
        for cap in self.capabilities:
            if cap.name == name:
                return cap
        raise KeyError(name)


#: rune.abi dataclass -> its resolved form, filled by `_resolved` (entries before their lists).
_RESOLVED: dict[type, type] = {}


def _resolved(cls: type, name: str, methods: type | None = None,
              extra: tuple[tuple[str, Any, Any], ...] = ()) -> type:
    """The frozen dataclass `name`: `cls`'s fields in order, less those only the compiler has
    (a model's `source`), with tensor ids as `TensorSpec`s and entries as their resolved forms,
    plus `methods` and the `extra` fields the runtime keeps beside the manifest."""
    hints = abi.field_types(cls)
    fields: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("compiler_only"):
            continue
        hint = hints[f.name]
        if f.metadata.get("tensor_ids"):
            hint = tuple[_RESOLVED[abi.Tensor], ...]
        elif typing.get_origin(hint) is tuple and typing.get_args(hint)[0] in _RESOLVED:
            hint = tuple[_RESOLVED[typing.get_args(hint)[0]], ...]
        spec = dataclasses.field(default=f.default, default_factory=f.default_factory,
                                 metadata=f.metadata)
        fields.append((f.name, hint, spec))
    derived = dataclasses.make_dataclass(
        name, [*fields, *extra], bases=(methods,) if methods else (), frozen=True,
        kw_only=True, namespace={"__doc__": cls.__doc__, "__module__": __name__},
    )
    _RESOLVED[cls] = derived
    return derived


def _resolve(wire: Any, tensors: Mapping[int, Any]) -> Any:
    """`wire`'s resolved form: tensor ids looked up in `tensors`, entries resolved in turn."""
    cls = _RESOLVED[type(wire)]
    values = {}
    for f in dataclasses.fields(cls):
        if not hasattr(wire, f.name):
            continue  # a runtime-only field (`Manifest.raw`)
        value = getattr(wire, f.name)
        if f.metadata.get("tensor_ids"):
            value = tuple(tensors[i] for i in value)
        elif isinstance(value, tuple) and value and type(value[0]) in _RESOLVED:
            value = tuple(_resolve(v, tensors) for v in value)
        values[f.name] = value
    return cls(**values)


TensorSpec = _resolved(abi.Tensor, "TensorSpec", _Tensor)
CapabilitySpec = _resolved(abi.Capability, "CapabilitySpec", _Capability)
ModelSpec = _resolved(abi.Model, "ModelSpec")
OutputSpec = _resolved(abi.Output, "OutputSpec")
StageSpec = _resolved(abi.Stage, "StageSpec")
#: `raw` keeps the JSON for tools that print it.
Manifest = _resolved(abi.Manifest, "Manifest", _Manifest, extra=(
    ("raw", Mapping[str, Any],
     dataclasses.field(repr=False, compare=False, default_factory=dict)),
))


def parse_manifest(raw: Mapping[str, Any]) -> Any:
    """Check a manifest dict with the ABI's codec (`rune.abi.manifest.decode`: the version
    first, then every field), then resolve its tensor ids into `TensorSpec`s."""
    wire = decode(raw)
    tensors = {t.id: _resolve(t, {}) for t in wire.tensors}
    return dataclasses.replace(_resolve(wire, tensors), raw=raw)
