"""Capability inputs: turning a user's file/bytes/array into the exact bytes a rune reads.

A registry maps a capability kind (`RAW`, `RAND`, ...) to a reader, so new kinds (SOUND, IMAGE,
...) plug in with `register_capability` without touching the host. Every reader's result goes
through one check: its byte length must equal the capability tensor's exactly (SEMANTICS.md),
because the rune copies it into a buffer planned at compile time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CapabilityError
from .manifest import CapabilitySpec, Manifest

#: What a caller may hand in for one capability stage.
InputValue = bytes | bytearray | memoryview | str | os.PathLike | np.ndarray
#: What a reader may return; normalised to a flat uint8 array by the registry.
ReadResult = bytes | bytearray | memoryview | np.ndarray

#: Kinds a Runefile may name (docs/abi.md); kinds without a reader are "not supported yet".
KNOWN_KINDS = ("RAW", "RAND", "SOUND", "IMAGE", "FLOAT_IMAGE", "ACCEL")


@dataclass(frozen=True)
class CapabilityRequest:
    """Everything a reader needs for one run: the stage, the user's value, a seeded RNG."""

    spec: CapabilitySpec
    value: InputValue | None
    rng: np.random.Generator

    def missing(self) -> CapabilityError:
        """The error for a stage that needs an input and got none (peer suite wording)."""
        return CapabilityError(
            f'Unable to load the "{self.spec.kind}" input for stage "{self.spec.name}": '
            "no input was given"
        )


CapabilityReader = Callable[[CapabilityRequest], ReadResult]


def load_bytes(value: InputValue, stage: str) -> bytes:
    """Bytes of a path (the file's content), a bytes-like object, or an array (little-endian)."""
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        return arr.tobytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (str, os.PathLike)):
        try:
            return Path(value).read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CapabilityError(
                f'cannot read the input file for stage "{stage}": {os.fspath(value)}: {reason}'
            ) from exc
    raise CapabilityError(
        f'unsupported input for stage "{stage}": {type(value).__name__} '
        "(expected a path, bytes or a numpy array)"
    )


def _int_arg(spec: CapabilitySpec, name: str) -> int | None:
    """An integer Runefile argument; Runefiles may spell numbers as strings."""
    if name not in spec.args:
        return None
    value = spec.args[name]
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise CapabilityError(
        f'capability {spec.kind} of stage "{spec.name}": argument {name}={value!r} '
        "is not a non-negative integer"
    )


def read_raw(req: CapabilityRequest) -> bytes:
    """RAW: the input's bytes, or only the first `length` of them if that argument is given."""
    if req.value is None:
        raise req.missing()
    if req.spec.tensor.element_type == "utf8":
        raise CapabilityError(
            f'capability RAW of stage "{req.spec.name}" cannot fill a utf8 tensor '
            "(its elements are pointers into the rune's memory)"
        )
    data = load_bytes(req.value, req.spec.name)
    length = _int_arg(req.spec, "length")
    return data if length is None else data[:length]


def read_rand(req: CapabilityRequest) -> np.ndarray:
    """RAND: floats uniform in [0, 1), integers over their type's full range, from the
    rune's seeded generator (the original was unseeded; seeding makes runs reproducible)."""
    if req.value is not None:
        raise CapabilityError(
            f'capability RAND of stage "{req.spec.name}" takes no input; use the seed instead'
        )
    tensor = req.spec.tensor
    if tensor.element_type == "utf8":
        raise CapabilityError(f'capability RAND of stage "{req.spec.name}" cannot make utf8')
    dtype = tensor.dtype
    if dtype.kind == "f":
        values = req.rng.random(tensor.count, dtype=dtype.newbyteorder("="))
    else:
        info = np.iinfo(dtype)
        values = req.rng.integers(
            info.min, info.max, size=tensor.count, dtype=dtype.newbyteorder("="), endpoint=True
        )
    return values.astype(dtype, copy=False)


def as_u8(data: ReadResult) -> np.ndarray:
    """A flat uint8 view of a reader's result (no copy when possible)."""
    if isinstance(data, np.ndarray):
        arr = np.ascontiguousarray(data)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        return arr.reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


class CapabilityRegistry:
    """Capability kind -> reader. Copy it (`copy()`) to customise one `Rune` only."""

    def __init__(self, readers: Mapping[str, CapabilityReader] | None = None) -> None:
        self._readers: dict[str, CapabilityReader] = dict(readers or {})

    def register(self, kind: str, reader: CapabilityReader, *, replace: bool = False) -> None:
        """Add a reader for `kind` (upper case, as in the manifest)."""
        if kind in self._readers and not replace:
            raise ValueError(f"a reader for capability {kind} is already registered")
        self._readers[kind] = reader

    def copy(self) -> CapabilityRegistry:
        return CapabilityRegistry(self._readers)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._readers)

    def reader(self, spec: CapabilitySpec) -> CapabilityReader:
        """The reader for a stage, or a CapabilityError saying why there is none."""
        try:
            return self._readers[spec.kind]
        except KeyError:
            pass
        if spec.kind in KNOWN_KINDS:
            raise CapabilityError(
                f'capability {spec.kind} is not supported yet (stage "{spec.name}")'
            )
        raise CapabilityError(
            f'unknown capability kind {spec.kind!r} (stage "{spec.name}"); '
            f"known kinds: {', '.join(KNOWN_KINDS)}"
        )

    @staticmethod
    def check_length(spec: CapabilitySpec, data: np.ndarray) -> None:
        """The one rule every capability obeys: exactly its tensor's byte length."""
        tensor = spec.tensor
        if data.size != tensor.nbytes:
            length = _int_arg(spec, "length")
            note = f" (after taking the first {length} bytes)" if length is not None else ""
            raise CapabilityError(
                f'capability {spec.kind} of stage "{spec.name}": the input is {data.size} '
                f"bytes{note} but its tensor {tensor.describe()} needs exactly "
                f"{tensor.nbytes} bytes"
            )

    def read(
        self, spec: CapabilitySpec, value: InputValue | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Run the stage's reader and enforce the exact byte length of its tensor."""
        data = as_u8(self.reader(spec)(CapabilityRequest(spec, value, rng)))
        self.check_length(spec, data)
        return data


default_registry = CapabilityRegistry({"RAW": read_raw, "RAND": read_rand})


def register_capability(kind: str, reader: CapabilityReader, *, replace: bool = False) -> None:
    """Register a reader in the default registry used by `Rune.load`."""
    default_registry.register(kind, reader, replace=replace)


def assign_raw_sources(
    manifest: Manifest, sources: Sequence[InputValue], *, exclude: Collection[str] = ()
) -> dict[str, InputValue]:
    """Map positional RAW inputs (`rune run --raw A --raw B`) to capability stage names.

    A RAW capability with a `source` argument takes that source. Otherwise, with one source,
    every RAW capability reads it (the original's default `source` of 0: peer case
    `multiple-outputs` feeds one file to two RAW stages); with several, the k-th RAW
    capability in manifest order takes the k-th source. A source nobody reads is an error.
    Stages in `exclude` (fed by name instead) take no part in the assignment.
    """
    raw = [c for c in manifest.capabilities if c.kind == "RAW" and c.name not in exclude]
    if sources and not raw:
        raise CapabilityError(
            f"{len(sources)} raw input(s) given but the rune has no RAW capability"
        )
    assigned: dict[str, InputValue] = {}
    used: set[int] = set()
    for position, cap in enumerate(raw):
        source = _int_arg(cap, "source")
        if source is None:
            source = 0 if len(sources) == 1 else position
        elif source >= len(sources):
            raise CapabilityError(
                f'Unable to load the "RAW" input for stage "{cap.name}": it reads raw source '
                f"{source} but only {len(sources)} raw input(s) were given"
            )
        if source < len(sources):
            assigned[cap.name] = sources[source]
            used.add(source)
    unused = [i for i in range(len(sources)) if i not in used]
    if unused:
        raise CapabilityError(
            f"raw input {unused[0]} ({_describe(sources[unused[0]])}) is not read by any RAW "
            f"capability (the rune has {len(raw)})"
        )
    return assigned


def _describe(value: InputValue) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    return type(value).__name__
