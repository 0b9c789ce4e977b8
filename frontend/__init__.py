"""rune.frontend: Runefile YAML to a checked syntax tree, with clang-style diagnostics."""

from rune.frontend.ast import (
    ELEMENT_TYPES,
    Argument,
    Input,
    Resource,
    ResourceType,
    Runefile,
    Stage,
    StageKind,
    TensorType,
)
from rune.frontend.diagnostics import (
    Diagnostic,
    DiagnosticEngine,
    DiagnosticError,
    Note,
    Severity,
    did_you_mean,
    error,
)
from rune.frontend.parser import load_runefile, parse_runefile
from rune.frontend.semantics import MODEL_FORMATS, check_runefile, execution_order, model_format
from rune.frontend.source import SourceFile, Span

__all__ = [
    "ELEMENT_TYPES",
    "MODEL_FORMATS",
    "Argument",
    "Diagnostic",
    "DiagnosticEngine",
    "DiagnosticError",
    "Input",
    "Note",
    "Resource",
    "ResourceType",
    "Runefile",
    "Severity",
    "SourceFile",
    "Span",
    "Stage",
    "StageKind",
    "TensorType",
    "check_runefile",
    "did_you_mean",
    "error",
    "execution_order",
    "load_runefile",
    "model_format",
    "parse_runefile",
]
