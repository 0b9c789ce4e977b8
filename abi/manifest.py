"""The manifest (`rune.manifest`, docs/abi.md) as typed dataclasses, with its one JSON codec.

The compiler builds a `Manifest` once and `encode`s it once; every host `decode`s it with the same
checks: field types, tensor references, entry indices, unique names. A bad manifest is a
`RuneLoadError` naming the offending field (`manifest.capabilities[0].kind`). Unknown fields are
ignored, as the ABI's versioning rule requires. `rune.abi.schema` derives the JSON Schema from the
same dataclasses, so the field names below are the only place they are written.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .bounded import MAX_ANY_BYTES, BoundsError, tensor_bytes
from .errors import RuneLoadError
from .imports import ABI_VERSION

#: Element type -> bytes per element in memory (little-endian, no padding). A utf8 element is a
#: (ptr: u32, len: u32) pair naming a UTF-8 string elsewhere in the rune's memory.
ELEMENT_BYTES: Mapping[str, int] = {
    "u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8,
    "f32": 4, "f64": 8, "utf8": 8,
}  # fmt: skip
ELEMENT_TYPES: tuple[str, ...] = tuple(ELEMENT_BYTES)

JsonObject = Mapping[str, Any]


def _doc(text: str, **extra: Any) -> dict[str, Any]:
    return {"doc": text, **extra}


def _tensor_ids(text: str) -> dict[str, Any]:
    return _doc(text, tensor_ids=True)


# Fields are keyword-only, in the order lower-pipeline writes the IR's `rune.manifest` attribute;
# the JSON a rune carries has its keys sorted.


@dataclass(frozen=True, kw_only=True)
class Tensor:
    """One pipeline edge; the other entries refer to tensors by `id`."""

    id: int = field(metadata=_doc("the tensor's id, unique in the manifest"))
    element_type: str = field(metadata=_doc("element type", enum=ELEMENT_TYPES))
    dimensions: tuple[int, ...] = field(metadata=_doc("shape, row-major"))


@dataclass(frozen=True, kw_only=True)
class Blob:
    """A byte range of the `rune.blobs` section's payload."""

    offset: int = field(metadata=_doc("first byte, from the start of the payload"))
    length: int = field(metadata=_doc("length in bytes"))


@dataclass(frozen=True, kw_only=True)
class Capability:
    """A capability stage; `capability_read` has no slot, so it fills exactly one tensor."""

    index: int = field(metadata=_doc("position in `capabilities`; the import's index"))
    name: str = field(metadata=_doc("the stage's name in the Runefile"))
    kind: str = field(metadata=_doc("the Runefile's capability, upper case (RAW, SOUND, ...)"))
    args: JsonObject = field(
        default_factory=dict, metadata=_doc("the Runefile's arguments, resources resolved")
    )
    outputs: tuple[int, ...] = field(metadata=_tensor_ids("the one tensor it fills"))


@dataclass(frozen=True, kw_only=True)
class CompiledModel:
    """A model compiled into the rune (`runec --models=compiled`): not in `models`, no blob,
    never seen by the host; its operators are `stages` of kind `kernel`."""

    name: str = field(metadata=_doc("the model stage's name in the Runefile"))
    format: str = field(metadata=_doc("the model's format (tensorflow-lite)"))
    model: str = field(metadata=_doc("the model file's name"))
    operators: int = field(metadata=_doc("how many operators became kernel stages"))


@dataclass(frozen=True, kw_only=True)
class Model:
    """A model stage; `inputs` and `outputs` follow the model's own tensor order.

    Until packaging (in the compiler's IR) a model names its `source` file and has no `blob`;
    packaging swaps one for the other, so a rune's manifest always has `blob` and never
    `source`."""

    index: int = field(metadata=_doc("position in `models`; the imports' index"))
    name: str = field(metadata=_doc("the stage's name in the Runefile"))
    format: str = field(
        metadata=_doc("tensorflow-lite, tensorflow, tensorflow-js or onnx (a model given as a "
                      "directory is a zip archive of it)")
    )
    source: str | None = field(default=None, metadata={"compiler_only": True})
    inputs: tuple[int, ...] = field(default=(), metadata=_tensor_ids("input tensors, by slot"))
    outputs: tuple[int, ...] = field(default=(), metadata=_tensor_ids("output tensors, by slot"))
    args: JsonObject | None = field(default=None, metadata=_doc("the Runefile's arguments"))
    blob: Blob | None = field(
        default=None, metadata=_doc("the model's bytes in `rune.blobs`", packaged=True)
    )


@dataclass(frozen=True, kw_only=True)
class Output:
    """An output stage; `output_write` hands the host one tensor per input slot."""

    index: int = field(metadata=_doc("position in `outputs`; the import's index"))
    name: str = field(metadata=_doc("the stage's name in the Runefile"))
    kind: str = field(metadata=_doc("the Runefile's output kind, lower case (serial)"))
    args: JsonObject = field(default_factory=dict, metadata=_doc("the Runefile's arguments"))
    inputs: tuple[int, ...] = field(default=(), metadata=_tensor_ids("tensors, by slot"))


@dataclass(frozen=True, kw_only=True)
class Stage:
    """Any stage left after optimisation, in execution order; for tools, not for the imports."""

    name: str = field(metadata=_doc("the stage's name in the Runefile"))
    inputs: tuple[int, ...] = field(default=(), metadata=_tensor_ids("input tensors"))
    outputs: tuple[int, ...] = field(default=(), metadata=_tensor_ids("output tensors"))
    kind: str = field(metadata=_doc("capability, proc-block, model, kernel (an operator of a "
                                    "compiled model) or out"))
    proc_block: str | None = field(default=None, metadata=_doc("the kernel, for a proc block"))
    args: JsonObject | None = field(default=None, metadata=_doc("the stage's arguments"))


@dataclass(frozen=True, kw_only=True)
class TensorSlot:
    """Where one tensor lives in the arena, and the stage steps it is live for."""

    id: int = field(metadata=_doc("the tensor's id"))
    offset: int = field(metadata=_doc("byte offset in the arena"))
    bytes: int = field(metadata=_doc("size in bytes"))
    first: int = field(metadata=_doc("first stage step it is live"))
    last: int = field(metadata=_doc("last stage step it is live"))


@dataclass(frozen=True, kw_only=True)
class MemoryPlan:
    """The static memory plan (`plan-memory`; `runec --memory-report` prints it)."""

    strategy: str | None = field(default=None, metadata=_doc("the planner's strategy"))
    arena_bytes: int | None = field(default=None, metadata=_doc("the arena's size"))
    naive_bytes: int | None = field(
        default=None, metadata=_doc("every tensor in its own bytes")
    )
    lower_bound_bytes: int | None = field(
        default=None, metadata=_doc("the most bytes live at one step")
    )
    tensors: tuple[TensorSlot, ...] | None = field(
        default=None, metadata=_doc("each tensor's slot")
    )


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """Everything a host needs to know about a rune besides its code and model bytes."""

    abi_version: int = field(metadata=_doc("the ABI version the rune was built for"))
    name: str = field(metadata=_doc("the rune's name"))
    image: str | None = field(default=None, metadata=_doc("the Runefile's image"))
    compiler: str | None = field(default=None, metadata=_doc("the compiler that built it"))
    tensors: tuple[Tensor, ...] = field(default=(), metadata=_doc("every edge of the pipeline"))
    capabilities: tuple[Capability, ...] = field(default=(), metadata=_doc("in index order"))
    models: tuple[Model, ...] = field(default=(), metadata=_doc("in index order"))
    outputs: tuple[Output, ...] = field(default=(), metadata=_doc("in index order"))
    stages: tuple[Stage, ...] = field(default=(), metadata=_doc("in execution order"))
    memory: MemoryPlan | None = field(default=None, metadata=_doc("the memory plan"))
    compiled_models: tuple[CompiledModel, ...] | None = field(
        default=None, metadata=_doc("models compiled into the rune, if any"))
    probes: tuple[str, ...] | None = field(
        default=None, metadata=_doc("with `runec --profile`: the stage each pair of `probe` "
                                    "calls times, in call order"))


# -- the codec ----------------------------------------------------------------------------------


def _fail(path: str, expected: str, value: Any) -> NoReturn:
    shown = repr(value) if len(repr(value)) <= 40 else type(value).__name__
    raise RuneLoadError(f"bad manifest: {path} must be {expected}, got {shown}")


def field_types(cls: type) -> dict[str, Any]:
    """Each field's resolved annotation (also used by the schema generator)."""
    return typing.get_type_hints(cls)


def optional_inner(hint: Any) -> Any | None:
    """`X` for `X | None`, else None."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_value(
    hint: Any, value: Any, path: str, meta: Mapping[str, Any], draft: bool
) -> Any:
    inner = optional_inner(hint)
    if inner is not None:
        return _decode_value(inner, value, path, meta, draft)
    if hint is int:
        if not _is_int(value) or value < 0:
            _fail(path, "a non-negative integer", value)
        return value
    if hint is str:
        if not isinstance(value, str):
            _fail(path, "a string", value)
        if "enum" in meta and value not in meta["enum"]:
            raise RuneLoadError(
                f"bad manifest: {path} {value!r} is not one of {', '.join(meta['enum'])}"
            )
        return value
    if hint == JsonObject:
        if not isinstance(value, dict):
            _fail(path, "an object", value)
        return value
    if dataclasses.is_dataclass(hint):
        return _decode_object(hint, value, path, draft)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list):
            _fail(path, "a list", value)
        item = typing.get_args(hint)[0]
        if meta.get("tensor_ids"):
            for i, tid in enumerate(value):
                if not _is_int(tid):
                    _fail(f"{path}[{i}]", "a tensor id (integer)", tid)
            return tuple(value)
        return tuple(
            _decode_value(item, v, f"{path}[{i}]", {}, draft) for i, v in enumerate(value)
        )
    raise TypeError(f"rune.abi cannot decode {hint!r}")  # a field type this codec lacks


def is_required(f: dataclasses.Field, draft: bool = False) -> bool:
    """Whether a manifest must have field `f` (a draft, the compiler's IR form, need not have
    the fields only packaging fills in)."""
    if f.metadata.get("packaged"):
        return not draft
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def is_wire_field(f: dataclasses.Field) -> bool:
    """False for what only the compiler's IR carries (a model's source file)."""
    return not f.metadata.get("compiler_only")


def _decode_object(cls: type, value: Any, path: str, draft: bool) -> Any:
    if not isinstance(value, dict):
        _fail(path, "an object", value)
    hints = field_types(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not (draft or is_wire_field(f)):
            continue  # an unknown field to a host
        where = f"{path}.{f.name}"
        required = is_required(f, draft)
        present = f.name in value and (value[f.name] is not None or required)
        if not present:
            if required:
                raise RuneLoadError(f"bad manifest: {where} is missing")
            continue
        kwargs[f.name] = _decode_value(hints[f.name], value[f.name], where, f.metadata, draft)
    return cls(**kwargs)


def _check_entries(key: str, entries: tuple[Any, ...]) -> None:
    """Imports address entries by index, so each `index` must equal its position."""
    for i, entry in enumerate(entries):
        if entry.index != i:
            raise RuneLoadError(
                f"bad manifest: manifest.{key}[{i}].index is {entry.index}, but entries must be "
                f"listed in index order (expected {i})"
            )


def _check_references(manifest: Manifest) -> None:
    ids: set[int] = set()
    for i, tensor in enumerate(manifest.tensors):
        try:  # sizes past any machine's are corrupt: no size arithmetic may run away on them
            tensor_bytes(tensor.dimensions, ELEMENT_BYTES[tensor.element_type],
                         f"manifest.tensors[{i}]", MAX_ANY_BYTES)
        except BoundsError as exc:
            raise RuneLoadError(f"bad manifest: {exc}") from None
        if tensor.id in ids:
            raise RuneLoadError(f"bad manifest: tensor id {tensor.id} is declared twice")
        ids.add(tensor.id)
    for key in ("capabilities", "models", "outputs", "stages"):
        for i, entry in enumerate(getattr(manifest, key)):
            for f in dataclasses.fields(entry):
                if not f.metadata.get("tensor_ids"):
                    continue
                for j, tid in enumerate(getattr(entry, f.name)):
                    if tid not in ids:
                        raise RuneLoadError(
                            f"bad manifest: manifest.{key}[{i}].{f.name}[{j}] refers to unknown "
                            f"tensor id {tid}"
                        )
    for i, cap in enumerate(manifest.capabilities):
        if len(cap.outputs) != 1:
            raise RuneLoadError(
                f"bad manifest: manifest.capabilities[{i}].outputs must name exactly one tensor "
                f"(capability_read fills one), got {len(cap.outputs)}"
            )


def _check_unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RuneLoadError(f"bad manifest: two {key} entries are named {name!r}")
        seen.add(name)


def decode(raw: Any, *, draft: bool = False) -> Manifest:
    """Check and type a manifest parsed from JSON. The ABI version is checked before anything
    else, so a future manifest gives a version message rather than a confusing field error.
    `draft` reads the compiler's IR form: models name a `source` and need no `blob` yet."""
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
    manifest: Manifest = _decode_object(Manifest, raw, "manifest", draft)
    for key in ("capabilities", "models", "outputs"):
        _check_entries(key, getattr(manifest, key))
    _check_references(manifest)
    _check_unique("capabilities", [c.name for c in manifest.capabilities])
    _check_unique("outputs", [o.name for o in manifest.outputs])
    return manifest


def decode_json(data: bytes | str) -> Manifest:
    """`decode` of the manifest's JSON text (UTF-8 bytes or a string)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuneLoadError(f"bad manifest: rune.manifest is not valid UTF-8 JSON: {exc}") from exc
    return decode(raw)


def to_json_value(value: Any) -> Any:
    """A manifest (or any part of it) as plain JSON values, fields in declaration order; None
    fields are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json_value(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, (tuple, list)):
        return [to_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


def encode(manifest: Manifest | JsonObject) -> bytes:
    """The canonical encoding: compact, sorted keys, strict JSON (no NaN), UTF-8. A Manifest
    must be packaged (every model has its blob and no source)."""
    if isinstance(manifest, Manifest):
        for model in manifest.models:
            if model.blob is None or model.source is not None:
                raise ValueError(f"model {model.name!r} is not packaged: it needs a blob and "
                                 "no source")
    return json.dumps(
        to_json_value(manifest), separators=(",", ":"), sort_keys=True, ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")
