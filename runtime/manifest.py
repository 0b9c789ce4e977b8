"""Typed view of the `rune.manifest` JSON (docs/abi.md, "Manifest").

The manifest is the host's only description of the rune's imports, so it is checked up front:
ABI version, field types, tensor references and entry indices. A bad manifest is a
`RuneLoadError` that names the offending field, e.g. `manifest.capabilities[0].kind`. Unknown
fields are ignored, as the ABI's versioning rule requires.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from .bounded import MAX_ANY_BYTES, BoundsError, tensor_bytes
from .errors import RuneLoadError

ABI_VERSION = 1

#: Element type -> dtype of one element *in guest memory* (little-endian, no padding).
#: A utf8 element is a (ptr: u32, len: u32) pair naming a string elsewhere in memory.
ELEMENT_DTYPES: Mapping[str, np.dtype] = {
    "u8": np.dtype("u1"),
    "i8": np.dtype("i1"),
    "u16": np.dtype("<u2"),
    "i16": np.dtype("<i2"),
    "u32": np.dtype("<u4"),
    "i32": np.dtype("<i4"),
    "u64": np.dtype("<u8"),
    "i64": np.dtype("<i8"),
    "f32": np.dtype("<f4"),
    "f64": np.dtype("<f8"),
    "utf8": np.dtype([("ptr", "<u4"), ("len", "<u4")]),
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


class _Fields:
    """Typed field access on one JSON object, with a path for error messages."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, "an object", value)
        self.obj: dict[str, Any] = value
        self.path = path

    def get(self, key: str, required: bool) -> Any:
        if key not in self.obj:
            if required:
                raise RuneLoadError(f"bad manifest: {self.path}.{key} is missing")
            return None
        return self.obj[key]

    def integer(self, key: str, *, required: bool = True) -> int | None:
        value = self.get(key, required)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _fail(f"{self.path}.{key}", "a non-negative integer", value)
        return value

    def string(self, key: str, *, required: bool = True) -> str | None:
        value = self.get(key, required)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            _fail(f"{self.path}.{key}", "a string", value)
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.get(key, False)
        if value is None:
            return {}
        if not isinstance(value, dict):
            _fail(f"{self.path}.{key}", "an object", value)
        return value

    def array(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.get(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            _fail(f"{self.path}.{key}", "a list", value)
        return value


def _fail(path: str, expected: str, value: Any) -> NoReturn:
    shown = repr(value) if len(repr(value)) <= 40 else type(value).__name__
    raise RuneLoadError(f"bad manifest: {path} must be {expected}, got {shown}")


def _blob(value: Any, path: str) -> BlobRef:
    f = _Fields(value, path)
    return BlobRef(offset=f.integer("offset"), length=f.integer("length"))


class _Parser:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.root = _Fields(raw, "manifest")
        self.tensors: dict[int, TensorSpec] = {}

    def tensor_list(self, f: _Fields, key: str) -> tuple[TensorSpec, ...]:
        out = []
        for i, tid in enumerate(f.array(key)):
            path = f"{f.path}.{key}[{i}]"
            if not isinstance(tid, int) or isinstance(tid, bool):
                _fail(path, "a tensor id (integer)", tid)
            if tid not in self.tensors:
                raise RuneLoadError(f"bad manifest: {path} refers to unknown tensor id {tid}")
            out.append(self.tensors[tid])
        return tuple(out)

    def entries(self, key: str) -> list[_Fields]:
        """The entries of a top-level list; each must carry `index` equal to its position,
        because imports address them by that index."""
        out = []
        for i, item in enumerate(self.root.array(key)):
            f = _Fields(item, f"manifest.{key}[{i}]")
            index = f.integer("index")
            if index != i:
                raise RuneLoadError(
                    f"bad manifest: {f.path}.index is {index}, but entries must be listed in "
                    f"index order (expected {i})"
                )
            out.append(f)
        return out

    def parse(self) -> Manifest:
        root = self.root
        for i, item in enumerate(root.array("tensors")):
            f = _Fields(item, f"manifest.tensors[{i}]")
            tid = f.integer("id")
            etype = f.string("element_type")
            if etype not in ELEMENT_DTYPES:
                raise RuneLoadError(
                    f"bad manifest: {f.path}.element_type {etype!r} is not one of "
                    f"{', '.join(ELEMENT_DTYPES)}"
                )
            dims = f.array("dimensions", required=True)
            for j, d in enumerate(dims):
                if not isinstance(d, int) or isinstance(d, bool) or d < 0:
                    _fail(f"{f.path}.dimensions[{j}]", "a non-negative integer", d)
            try:
                tensor_bytes(dims, ELEMENT_DTYPES[etype].itemsize, f.path, MAX_ANY_BYTES)
            except BoundsError as exc:
                raise RuneLoadError(f"bad manifest: {exc}") from None
            if tid in self.tensors:
                raise RuneLoadError(f"bad manifest: tensor id {tid} is declared twice")
            self.tensors[tid] = TensorSpec(tid, etype, tuple(dims))

        capabilities = []
        for f in self.entries("capabilities"):
            outputs = self.tensor_list(f, "outputs")
            if len(outputs) != 1:
                raise RuneLoadError(
                    f"bad manifest: {f.path}.outputs must name exactly one tensor "
                    f"(capability_read fills one), got {len(outputs)}"
                )
            capabilities.append(
                CapabilitySpec(
                    index=f.integer("index"),
                    name=f.string("name"),
                    kind=f.string("kind"),
                    args=f.mapping("args"),
                    outputs=outputs,
                )
            )
        models = [
            ModelSpec(
                index=f.integer("index"),
                name=f.string("name"),
                format=f.string("format"),
                blob=_blob(f.get("blob", True), f"{f.path}.blob"),
                inputs=self.tensor_list(f, "inputs"),
                outputs=self.tensor_list(f, "outputs"),
                args=f.mapping("args"),
            )
            for f in self.entries("models")
        ]
        outputs = [
            OutputSpec(
                index=f.integer("index"),
                name=f.string("name"),
                kind=f.string("kind"),
                args=f.mapping("args"),
                inputs=self.tensor_list(f, "inputs"),
            )
            for f in self.entries("outputs")
        ]
        stages = []
        for i, item in enumerate(root.array("stages")):
            f = _Fields(item, f"manifest.stages[{i}]")
            stages.append(
                StageSpec(
                    name=f.string("name"),
                    kind=f.string("kind"),
                    inputs=self.tensor_list(f, "inputs"),
                    outputs=self.tensor_list(f, "outputs"),
                    proc_block=f.string("proc_block", required=False),
                    args=f.mapping("args"),
                )
            )
        _check_unique("capabilities", [c.name for c in capabilities])
        _check_unique("outputs", [o.name for o in outputs])
        memory = root.obj.get("memory")
        arena = (
            None
            if memory is None
            else _Fields(memory, "manifest.memory").integer("arena_bytes", required=False)
        )
        return Manifest(
            abi_version=ABI_VERSION,
            name=root.string("name"),
            image=root.string("image", required=False),
            compiler=root.string("compiler", required=False),
            tensors=tuple(self.tensors.values()),
            capabilities=tuple(capabilities),
            models=tuple(models),
            outputs=tuple(outputs),
            stages=tuple(stages),
            arena_bytes=arena,
            raw=root.obj,
        )


def _check_unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RuneLoadError(f"bad manifest: two {key} entries are named {name!r}")
        seen.add(name)


def parse_manifest(raw: Mapping[str, Any]) -> Manifest:
    """Check and type a manifest dict; the ABI version is checked before anything else, so a
    future manifest gives a version message rather than a confusing field error."""
    if not isinstance(raw, dict):
        raise RuneLoadError(f"bad manifest: expected a JSON object, got {type(raw).__name__}")
    version = raw.get("abi_version")
    if version is None:
        raise RuneLoadError("bad manifest: manifest.abi_version is missing")
    if version != ABI_VERSION or isinstance(version, bool):
        raise RuneLoadError(
            f"unsupported rune ABI version {version!r}: this runtime implements ABI version "
            f"{ABI_VERSION}"
        )
    return _Parser(raw).parse()
