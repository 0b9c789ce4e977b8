"""The Runefile v1 syntax tree: what the user wrote, with a source span on every node."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from rune.frontend.source import Span

ELEMENT_TYPES = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "utf8")


class StageKind(Enum):
    CAPABILITY = "capability"
    MODEL = "model"
    PROC_BLOCK = "proc-block"
    OUT = "out"


@dataclass(frozen=True)
class TensorType:
    """A declared stage output: element type (lower-case, one of ELEMENT_TYPES) and dimensions."""

    element_type: str
    dimensions: tuple[int, ...]
    span: Span


@dataclass(frozen=True)
class Input:
    """A reference to another stage's output: `name` or `name.N` (index defaults to 0)."""

    stage: str
    index: int
    span: Span


@dataclass(frozen=True)
class Argument:
    """A stage argument. `value` is the scalar YAML value (str, int, float or bool);
    a `$NAME` string is a resource reference, resolved by the frontend into `resource`."""

    name: str
    value: str | int | float | bool
    span: Span
    resource: str | None = None


@dataclass
class Stage:
    """One pipeline stage. `target` is the capability kind (e.g. "RAW", upper-cased), the model
    path or `$RESOURCE`, the proc-block reference, or the output kind (e.g. "serial",
    lower-cased)."""

    name: str
    kind: StageKind
    target: str
    span: Span
    target_span: Span
    inputs: list[Input] = field(default_factory=list)
    outputs: list[TensorType] = field(default_factory=list)
    args: dict[str, Argument] = field(default_factory=dict)


class ResourceType(Enum):
    STRING = "string"
    BINARY = "binary"


@dataclass
class Resource:
    """A named resource: inline text, a file path (relative to the Runefile), or neither
    (a value the user supplies later)."""

    name: str
    type: ResourceType
    span: Span
    inline: str | None = None
    path: str | None = None
    path_span: Span | None = None  # where `path` is written, for diagnostics about the file


@dataclass
class Runefile:
    """A whole Runefile. `stages` keeps the file's order; `directory` is where relative paths
    are resolved from."""

    version: int
    image: str
    stages: dict[str, Stage]
    resources: dict[str, Resource]
    path: str
    directory: str
    span: Span
