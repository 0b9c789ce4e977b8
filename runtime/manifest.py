"""The runtime's view of the `rune.manifest` JSON (docs/abi.md, "Manifest").

The manifest is the host's only description of the rune's imports, so it is checked up front by
the ABI's one codec (`rune.abi.manifest`): ABI version, field types, tensor references and entry
indices. A bad manifest is a `RuneLoadError` that names the offending field, e.g.
`manifest.capabilities[0].kind`. This module adds what a host wants on top: tensor ids resolved
to `TensorSpec`s with their NumPy dtype and byte size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rune.abi.manifest import ELEMENT_BYTES, decode

#: Element type -> dtype of one element *in guest memory* (little-endian, no padding), for every
#: element type of the ABI. A utf8 element is a (ptr: u32, len: u32) pair naming a string
#: elsewhere in memory.
ELEMENT_DTYPES: Mapping[str, np.dtype] = {
    name: np.dtype([("ptr", "<u4"), ("len", "<u4")]) if name == "utf8"
    else np.dtype(f"<{name[0]}{size}")  # u8 -> <u1, f32 -> <f4: kind letter, byte size
    for name, size in ELEMENT_BYTES.items()
}


@dataclass(frozen=True)
class TensorSpec:
    """One pipeline edge: its element type and shape, hence its exact byte size."""

    id: int
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


@dataclass(frozen=True)
class BlobRef:
    """A byte range inside the `rune.blobs` section."""

    offset: int
    length: int


@dataclass(frozen=True)
class CapabilitySpec:
    """A capability stage; `capability_read` has no slot, so it produces exactly one tensor."""

    index: int
    name: str
    kind: str
    args: Mapping[str, Any]
    outputs: tuple[TensorSpec, ...]

    @property
    def tensor(self) -> TensorSpec:
        """The tensor `capability_read` fills."""
        return self.outputs[0]


@dataclass(frozen=True)
class ModelSpec:
    """A model stage; `inputs`/`outputs` are in the model's own slot order."""

    index: int
    name: str
    format: str
    blob: BlobRef
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputSpec:
    """An output stage; `output_write` hands the host one tensor per input slot."""

    index: int
    name: str
    kind: str
    args: Mapping[str, Any]
    inputs: tuple[TensorSpec, ...]


@dataclass(frozen=True)
class StageSpec:
    """Any stage, in execution order; informational (for `rune inspect`)."""

    name: str
    kind: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    proc_block: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest. `raw` keeps the JSON for tools that print it."""

    abi_version: int
    name: str
    image: str | None
    compiler: str | None
    tensors: tuple[TensorSpec, ...]
    capabilities: tuple[CapabilitySpec, ...]
    models: tuple[ModelSpec, ...]
    outputs: tuple[OutputSpec, ...]
    stages: tuple[StageSpec, ...]
    arena_bytes: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def capability(self, name: str) -> CapabilitySpec:
        """Look a capability stage up by name (KeyError if absent)."""
        for cap in self.capabilities:
            if cap.name == name:
                return cap
        raise KeyError(name)


def _resolve(ids: tuple[int, ...], tensors: Mapping[int, TensorSpec]) -> tuple[TensorSpec, ...]:
    return tuple(tensors[i] for i in ids)


def parse_manifest(raw: Mapping[str, Any]) -> Manifest:
    """Check a manifest dict with the ABI's codec (`rune.abi.manifest.decode`: the version
    first, then every field), then resolve its tensor ids into `TensorSpec`s."""
    wire = decode(raw)
    tensors = {
        t.id: TensorSpec(t.id, t.element_type, t.dimensions) for t in wire.tensors
    }
    return Manifest(
        abi_version=wire.abi_version,
        name=wire.name,
        image=wire.image,
        compiler=wire.compiler,
        tensors=tuple(tensors.values()),
        capabilities=tuple(
            CapabilitySpec(c.index, c.name, c.kind, c.args, _resolve(c.outputs, tensors))
            for c in wire.capabilities
        ),
        models=tuple(
            ModelSpec(m.index, m.name, m.format, BlobRef(m.blob.offset, m.blob.length),
                      _resolve(m.inputs, tensors), _resolve(m.outputs, tensors), m.args or {})
            for m in wire.models
        ),
        outputs=tuple(
            OutputSpec(o.index, o.name, o.kind, o.args, _resolve(o.inputs, tensors))
            for o in wire.outputs
        ),
        stages=tuple(
            StageSpec(s.name, s.kind, _resolve(s.inputs, tensors), _resolve(s.outputs, tensors),
                      s.proc_block, s.args or {})
            for s in wire.stages
        ),
        arena_bytes=None if wire.memory is None else wire.memory.arena_bytes,
        raw=raw,
    )
