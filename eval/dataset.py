"""Labelled datasets for `rune eval`: a folder with one sub-folder per label, or a CSV/JSONL
manifest of `path,label` rows.

Everything is checked before any rune runs, so a bad dataset is one clear error (with the
file and line of a bad manifest row) rather than a failure half-way through.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import EvalError

#: Manifest formats by file extension.
MANIFESTS = (".csv", ".jsonl")


@dataclass(frozen=True)
class Example:
    """One labelled input: `path` is what a worker opens, `name` what the report shows
    (relative to the dataset folder, or as the manifest wrote it)."""

    index: int
    path: str
    name: str
    label: str


@dataclass(frozen=True)
class Dataset:
    source: str
    format: str  # "folders", "csv" or "jsonl"
    examples: tuple[Example, ...]

    @property
    def labels(self) -> list[str]:
        """The labels the examples carry, sorted."""
        return sorted({e.label for e in self.examples})


def load_dataset(source: str | os.PathLike[str]) -> Dataset:
    """A folder of label sub-folders, or a .csv/.jsonl manifest; an EvalError if it is missing,
    empty or names a file that does not exist."""
    path = Path(source)
    where = os.fspath(source)
    if path.is_dir():
        examples = list(_from_folders(path))
        fmt = "folders"
        if not examples:
            raise EvalError(
                f"{where}: no examples: expected one sub-folder per label, each holding input "
                "files (or a .csv/.jsonl manifest)"
            )
    elif path.is_file():
        fmt = path.suffix.lower().lstrip(".")
        if path.suffix.lower() not in MANIFESTS:
            raise EvalError(
                f"{where}: a dataset is a folder of label sub-folders, or a .csv or .jsonl "
                f"manifest, not a {path.suffix or 'file without extension'}"
            )
        examples = list(_from_manifest(path))
        if not examples:
            raise EvalError(f"{where}: no examples: the manifest has no rows")
    else:
        raise EvalError(f"{where}: no such file or directory")
    return Dataset(where, fmt, tuple(examples))


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _from_folders(root: Path) -> Iterator[Example]:
    """Each visible sub-folder is a label; every visible file under it (recursively, sorted) an
    example. Files beside the label folders (a README, a manifest) are not examples."""
    index = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        for file in sorted(folder.rglob("*")):
            relative = file.relative_to(root)
            if file.is_file() and all(_visible(Path(part)) for part in relative.parts):
                yield Example(index, str(file.resolve()), relative.as_posix(), folder.name)
                index += 1


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _example(manifest: Path, line: int, index: int, name: object, label: object,
             column: int) -> Example:  # fmt: skip
    where = f"{manifest}:{line}:{column}"
    if not isinstance(name, str) or not name.strip():
        raise EvalError(f"{where}: expected a file path, got {json.dumps(name)}")
    if not isinstance(label, str) or not label.strip():
        raise EvalError(f"{where}: the example {name} has no label")
    file = (manifest.parent / name.strip()).resolve()
    if not file.is_file():
        raise EvalError(f"{where}: {name.strip()}: no such file")
    return Example(index, str(file), name.strip(), label.strip())


def _from_manifest(manifest: Path) -> Iterator[Example]:
    text = _read_text(manifest)
    if manifest.suffix.lower() == ".jsonl":
        yield from _from_jsonl(manifest, text)
    else:
        yield from _from_csv(manifest, text)


def _from_csv(manifest: Path, text: str) -> Iterator[Example]:
    """Rows of `path,label` (more columns are ignored); an optional `path,label` header; paths
    relative to the manifest's folder."""
    index = 0
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if line == 1 and [c.strip().lower() for c in row[:2]] == ["path", "label"]:
                continue
            if len(row) < 2:
                raise EvalError(f"{manifest}:{line}:1: expected path,label, got {row[0]!r}")
            yield _example(manifest, line, index, row[0], row[1], 1)
            index += 1
    except csv.Error as exc:
        raise EvalError(f"{manifest}:{reader.line_num}: {exc}") from None


def _from_jsonl(manifest: Path, text: str) -> Iterator[Example]:
    """One object per line with string fields `path` and `label`."""
    index = 0
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{manifest}:{line}:{exc.colno}: {exc.msg}") from None
        if not isinstance(row, dict):
            raise EvalError(f'{manifest}:{line}:1: expected an object with "path" and "label"')
        yield _example(manifest, line, index, row.get("path"), row.get("label"), 1)
        index += 1


def read_labels(source: str | os.PathLike[str]) -> list[str]:
    """A labels file: one label per line, in index order. A blank line inside is an error, as it
    would shift every index after it; trailing blank lines are ignored."""
    path = Path(source)
    try:
        text = _read_text(path)
    except OSError as exc:
        raise EvalError(f"{source}: {exc.strerror or exc}") from None
    labels = text.splitlines()
    while labels and not labels[-1].strip():
        labels.pop()
    for line, label in enumerate(labels, 1):
        if not label.strip():
            raise EvalError(f"{source}:{line}: empty label")
    labels = [label.strip() for label in labels]
    if not labels:
        raise EvalError(f"{source}: no labels")
    seen: dict[str, int] = {}
    for line, label in enumerate(labels, 1):
        if label in seen:
            raise EvalError(f"{source}:{line}: label {label!r} repeats line {seen[label]}")
        seen[label] = line
    return labels
