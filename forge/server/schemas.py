"""The JSON API's request and response models (what the studio and the CLI consume)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .keys import Scope

NAME_PATTERN = r"[a-z][a-z0-9_-]{0,62}"
Name = Annotated[str, Field(pattern=f"^{NAME_PATTERN}$",
                            description="lower-case letters, digits, '-' and '_'")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Problem(BaseModel):
    """RFC 9457 problem details; every error response has this body."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict] | None = None


class Request(BaseModel):
    """A request body: unknown fields and loose types (0 for false, "1" for 1) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """NUL cannot be stored in PostgreSQL text; no field has a use for it."""
        if _has_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class ProjectCreate(Request):
    name: Name


class ProjectUpdate(Request):
    allow_custom_blocks: bool | None = None


class ProjectOut(BaseModel):
    name: str
    allow_custom_blocks: bool
    public_key: str = Field(description="ed25519 public key, hex; pin it in the SDK")
    created_at: dt.datetime


class KeyCreate(Request):
    name: Annotated[str, Field(max_length=200)] = ""
    # a scope's JSON string becomes the enum (strict mode would want the enum itself)
    scopes: Annotated[list[Annotated[Scope, Field(strict=False)]], Field(min_length=1)]


class KeyOut(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    project: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyMinted(KeyOut):
    key: str = Field(description="the secret key; shown only in this response")


class ProjectCreated(ProjectOut):
    admin_key: KeyMinted


class Location(BaseModel):
    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


class DiagnosticOut(BaseModel):
    severity: Literal["error", "warning", "note"]
    message: str
    location: Location | None = None
    notes: list[str] = []


class BuildOut(BaseModel):
    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    runefile: str
    source_sha256: str
    diagnostics: list[DiagnosticOut]
    log: str
    version: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class VersionOut(BaseModel):
    number: int
    sha256: str
    size: int
    signature: str = Field(description="ed25519 signature of the sha256 digest, hex")
    build: int | None
    created_at: dt.datetime


class ChannelOut(BaseModel):
    name: str
    version: int
    sha256: str
    updated_at: dt.datetime


class ChannelSet(Request):
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]


class Promote(Request):
    source: Name = Field(description="the channel whose version is promoted")


class Rollback(Request):
    steps: Annotated[int, Field(ge=1, le=1000)] = 1


class HistoryEntry(BaseModel):
    id: int
    action: Literal["deploy", "promote", "rollback"]
    version: int
    sha256: str
    key: str | None
    created_at: dt.datetime


class Device(Request):
    os: Annotated[str, Field(max_length=100)] = ""
    arch: Annotated[str, Field(max_length=100)] = ""
    python: Annotated[str, Field(max_length=100)] = ""
    runtime: Annotated[str, Field(max_length=100)] = ""
    host: Annotated[str, Field(max_length=200)] = ""


class Event(Request):
    id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    device_id: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["fetch", "load", "inference", "error"]
    ts: Annotated[float, Field(ge=0, le=1e11, description="device time, seconds since the epoch")]
    channel: Annotated[str, Field(max_length=64)] | None = None
    version_sha256: Sha256 | None = None
    total_ms: Annotated[float, Field(ge=0, le=1e9)] | None = None
    stages: Annotated[dict[Annotated[str, Field(min_length=1, max_length=100)],
                           Annotated[float, Field(ge=0, le=1e9)]],
                      Field(max_length=64)] = {}
    error: Annotated[str, Field(max_length=2000)] | None = None
    device: Device = Device()


class EventBatch(Request):
    events: Annotated[list[Event], Field(min_length=1, max_length=1000)]


class IngestResult(BaseModel):
    received: int
    stored: int = Field(description="new events; the rest were already stored (re-sent)")


class LatencyBucket(BaseModel):
    start: float
    count: int
    p50: float | None
    p95: float | None
    p99: float | None


class LatencyOut(BaseModel):
    stage: str
    window_s: float
    bucket_s: float
    overall: LatencyBucket
    buckets: list[LatencyBucket]


class VersionStats(BaseModel):
    version_sha256: str | None
    channel: str | None
    events: int
    inferences: int
    errors: int
    error_rate: float
    active_devices: int


class SummaryOut(BaseModel):
    window_s: float
    events: int
    inferences: int
    errors: int
    error_rate: float
    active_devices: int
    by_version: list[VersionStats]
    stages: list[str]


class Health(BaseModel):
    status: Literal["ok"]
    database: str


# -- the studio --------------------------------------------------------------------------------

class KernelArg(BaseModel):
    name: str
    type: Literal["int", "float", "bool", "str"]
    default: float | int | bool | str | None
    required: bool
    minimum: float | None
    maximum: float | None
    choices: list[str]
    doc: str


class Kernel(BaseModel):
    name: str
    summary: str
    origin: str
    args: list[KernelArg]
    element_types: list[str] | None = Field(description="for elementwise kernels")
    elementwise: bool


class CatalogOut(BaseModel):
    kernels: list[Kernel]
    capabilities: list[str]
    outputs: list[str]
    element_types: list[str]


class TemplateSummary(BaseModel):
    name: str
    files: list[str]


class TemplateOut(BaseModel):
    name: str
    files: dict[str, str] = Field(description="file name -> base64 content")


class CheckOut(BaseModel):
    ok: bool
    diagnostics: list[DiagnosticOut]


class PassIR(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    pass_: str = Field(alias="pass")
    ir: str


class CompileOut(BaseModel):
    ok: bool
    diagnostics: list[DiagnosticOut]
    opt_level: str | None = None
    passes: list[PassIR] = []
    fusion_groups: list[list[str]] = []
    memory: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    rune_base64: str | None = None


class ModelInfoOut(BaseModel):
    ok: bool
    diagnostics: list[DiagnosticOut] = []
    model: dict[str, Any] | None = None
