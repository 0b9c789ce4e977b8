"""Compiler diagnostics rendered the way clang and rustc print them."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TextIO

from rune.frontend.source import SourceFile, Span

QUOTE_WIDTH = 120  # longest stretch of a source line quoted under a diagnostic


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    span: Span | None = None
    notes: tuple[Note, ...] = ()


@dataclass
class DiagnosticError(Exception):
    """Raised when compilation cannot go on; carries every error found so far."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(d.message for d in self.diagnostics)


def error(message: str, span: Span | None = None, *notes: Note) -> DiagnosticError:
    """A one-diagnostic error, ready to raise."""
    return DiagnosticError([Diagnostic(Severity.ERROR, message, span, tuple(notes))])


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, if any is close enough to suggest."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion(word: str, candidates: Iterable[str]) -> tuple[Note, ...]:
    """A "did you mean" note for a misspelt word, or no note when nothing is close."""
    match = did_you_mean(word, candidates)
    return (Note(f"did you mean `{match}`?"),) if match is not None else ()


class ErrorCollector:
    """Gathers independent errors so one run reports all of them, not just the first."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, span: Span | None = None, *notes: Note) -> None:
        self.diagnostics.append(Diagnostic(Severity.ERROR, message, span, tuple(notes)))

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise DiagnosticError(list(self.diagnostics))


class DiagnosticEngine:
    """Collects diagnostics and renders them with the quoted source line and a caret."""

    def __init__(self, sources: dict[str, SourceFile] | None = None) -> None:
        self.sources: dict[str, SourceFile] = dict(sources or {})
        self.diagnostics: list[Diagnostic] = []

    def add_source(self, source: SourceFile) -> None:
        self.sources[source.path] = source

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def warn(self, message: str, span: Span | None = None, *notes: Note) -> None:
        self.report(Diagnostic(Severity.WARNING, message, span, tuple(notes)))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def render(self, diagnostic: Diagnostic) -> str:
        lines = [self._render_one(diagnostic.severity.value, diagnostic.message, diagnostic.span)]
        for note in diagnostic.notes:
            lines.append(self._render_one("note", note.message, note.span))
        return "\n".join(lines)

    def render_all(self, diagnostics: Iterable[Diagnostic]) -> str:
        """Render several diagnostics (e.g. a DiagnosticError's) as one block of text."""
        return "\n".join(self.render(d) for d in diagnostics)

    def _render_one(self, label: str, message: str, span: Span | None) -> str:
        if span is None:
            return f"{label}: {message}"
        head = f"{span}: {label}: {message}"
        source = self.sources.get(span.file)
        text = source.line_text(span.line) if source else ""
        if not text:
            return head
        width = 1
        if span.end_line == span.line and span.end_column and span.end_column > span.column:
            width = span.end_column - span.column
        column = span.column
        if len(text) > QUOTE_WIDTH:  # a hostile one-line file: quote a window around the caret
            start = max(0, column - 1 - QUOTE_WIDTH // 2)
            more = "..." if start + QUOTE_WIDTH < len(text) else ""
            text = ("..." if start else "") + text[start:start + QUOTE_WIDTH] + more
            column -= start - (3 if start else 0)
            width = min(width, QUOTE_WIDTH - column + 1 + (3 if start else 0))
        caret = " " * (column - 1) + "^" + "~" * (width - 1)
        gutter = f"{span.line:>4} | "
        return f"{head}\n{gutter}{text}\n{' ' * (len(gutter) - 2)}| {caret}"

    def emit(self, stream: TextIO = sys.stderr) -> None:
        """Print and forget every collected diagnostic."""
        for diagnostic in self.diagnostics:
            print(self.render(diagnostic), file=stream)
        self.diagnostics.clear()
