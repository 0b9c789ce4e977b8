"""Confinement: the one way the compiler opens a file a Runefile names.

A Runefile is hostile input. It may name a model, resource, calibration file or custom proc
block; runec reads only regular files inside the compile root (by default the Runefile's folder)
or a folder it was explicitly allowed (`--allow-path`), never more than `max_file_size` bytes of
one. Absolute paths outside those folders, `..` escapes and symlinks that leave them are refused,
and so is anything that is not a regular file (`/dev/zero`, `/proc/self/environ`, a FIFO), so a
Runefile cannot make a build server embed its secrets or stream forever.

Custom proc blocks are Python that runs at compile time: by default they load only from inside
the root; `allow_custom_blocks=True` allows them anywhere, False refuses them everywhere (what a
server compiling other people's Runefiles sets).

The confinement in force is a context variable, set by the compiler around one compile, so the
passes that read model files (check-types, convert-models, the packager) go through the same
checks without threading it through every signature. With none set (rune-opt replaying IR, a
library call), files are still size-checked and must be regular files.
"""

from __future__ import annotations

import contextvars
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rune.abi.bounded import BoundsError, file_kind, read_regular_file

DEFAULT_MAX_FILE_SIZE = 256 * 1024 * 1024
MAX_DIRECTORY_FILES = 10_000  # a model directory (SavedModel) packed whole
MAX_RUNEFILE_BYTES = 16 * 1024 * 1024  # YAML parses slowly: a Runefile is kilobytes
HINT = "runec reads only files under the Runefile's folder; widen with --root or --allow-path"


class ConfinementError(ValueError):
    """A path a Runefile names may not be read; the message says why, in one line. `reason`
    is the why alone (e.g. the OS's "No such file or directory")."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def _os_error(name: str | Path, exc: OSError) -> ConfinementError:
    reason = exc.strerror or str(exc)
    return ConfinementError(f"cannot read `{name}`: {reason}", reason)


@dataclass(frozen=True)
class Confinement:
    root: Path
    allow_paths: tuple[Path, ...] = ()
    allow_custom_blocks: bool | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    confined: bool = True  # False: only the regular-file and size checks (no Runefile root)
    # Files the compiler itself wrote during this compile (a converted model in the cache).
    produced: set[Path] = field(default_factory=set, compare=False, repr=False)

    @classmethod
    def for_runefile(cls, runefile: str | Path, root: Path | None = None,
                     allow_paths: tuple[Path, ...] = (), allow_custom_blocks: bool | None = None,
                     max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Confinement:
        base = Path(root) if root is not None else Path(runefile).absolute().parent
        return cls(_real(base), tuple(_real(Path(p)) for p in allow_paths),
                   allow_custom_blocks, max_file_size)

    # --- paths ---------------------------------------------------------------------------

    def resolve(self, name: str | Path, base: str | Path | None = None) -> Path:
        """The real path of `name` (relative to `base`: by default the root, or the working
        directory when unconfined), or ConfinementError when it leaves the root and every
        allowed folder. Existence is not checked here."""
        path = Path(os.path.expanduser(name)) if str(name).startswith("~") else Path(name)
        if base is None:
            base = self.root if self.confined else Path.cwd()
        joined = path if path.is_absolute() else Path(base) / path
        real = _real(joined)
        if self.confined and not self.inside(real):
            shown = str(name)
            if path.is_absolute():
                why = "is an absolute path outside the compile root"
            elif ".." in path.parts and not self.inside(_real(joined, follow=False)):
                why = "leaves the compile root through `..`"
            else:
                why = "leads outside the compile root through a symbolic link"
            raise ConfinementError(f"`{shown}` {why}; {HINT}")
        return real

    def trust(self, path: Path) -> None:
        """A file the compiler produced (not named by the Runefile) may be read back."""
        self.produced.add(_real(path))

    def inside(self, real: Path, *, root_only: bool = False) -> bool:
        if not root_only and real in self.produced:
            return True
        folders = (self.root,) if root_only else (self.root, *self.allow_paths)
        return any(real == folder or real.is_relative_to(folder) for folder in folders)

    # --- reading -------------------------------------------------------------------------

    def read_bytes(self, name: str | Path, base: str | Path | None = None) -> bytes:
        """The bytes of one regular file, checked before a byte is read: confined, not a
        device/FIFO/directory, at most max_file_size bytes (also if it grows while read)."""
        real = self.resolve(name, base)
        try:
            return read_regular_file(real, self.max_file_size, str(name))
        except BoundsError as exc:
            raise ConfinementError(str(exc).replace("a file read", "a file the compiler reads")
                                   ) from None
        except OSError as exc:
            raise _os_error(name, exc) from None

    def read_text(self, name: str | Path, base: str | Path | None = None) -> str:
        data = self.read_bytes(name, base)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfinementError(f"`{name}` is not UTF-8 text: {exc.reason} at byte "
                                   f"{exc.start}") from None

    def directory_files(self, name: str | Path) -> list[Path]:
        """The regular files under a model directory, sorted, each checked like read_bytes;
        symbolic links that leave the root are refused, not followed."""
        real = self.resolve(name)
        if not real.is_dir():
            raise ConfinementError(f"`{name}` is not a directory")
        files: list[Path] = []
        for folder, dirs, names in os.walk(real, followlinks=False):
            for entry in (*dirs, *names):
                self.resolve(Path(folder) / entry)  # a link out is refused, even unread
            files.extend(Path(folder) / n for n in names)
            if len(files) > MAX_DIRECTORY_FILES:
                raise ConfinementError(f"`{name}` holds more than {MAX_DIRECTORY_FILES} files")
        return sorted(files)

    def check_file(self, name: str | Path, base: str | Path | None = None, *,
                   directory: bool = False) -> Path:
        """The real path of an existing regular file (or directory when allowed), confined and
        size-checked, without reading it; ConfinementError otherwise."""
        real = self.resolve(name, base)
        try:
            info = os.stat(real)
        except OSError as exc:
            raise _os_error(name, exc) from None
        if directory and stat.S_ISDIR(info.st_mode):
            return real
        if not stat.S_ISREG(info.st_mode):
            raise ConfinementError(f"`{name}` is {file_kind(info.st_mode)}, not a regular file")
        self._check_size(name, info.st_size)
        if info.st_size == 0:
            self.read_bytes(real)  # an empty file, or a pseudo-file (/proc) that streams
        return real

    def read_custom_block(self, name: str | Path) -> bytes:
        """The source of a custom proc block that may run: policy first, then the checks of
        any file read (anywhere, when custom blocks are allowed anywhere)."""
        if self.allow_custom_blocks is False:
            raise ConfinementError(
                f"custom proc block `{name}` refused: custom proc blocks are Python that runs at "
                "compile time, and this compile forbids them (--no-custom-blocks)")
        if self.allow_custom_blocks is None and self.confined:
            real = _real(Path(name))
            if not self.inside(real, root_only=True):
                raise ConfinementError(
                    f"custom proc block `{name}` is outside the compile root: custom proc blocks "
                    "are Python that runs at compile time, so runec loads them only from inside "
                    "the root unless given --allow-custom-blocks")
        unconfined = Confinement(self.root, (), True, self.max_file_size, confined=False)
        return (unconfined if self.allow_custom_blocks else self).read_bytes(name)

    def _check_size(self, name: str | Path, size: int) -> None:
        if size > self.max_file_size:
            raise ConfinementError(f"`{name}` is larger than the {self.max_file_size}-byte limit "
                                   "on a file the compiler reads")


def _real(path: Path, *, follow: bool = True) -> Path:
    return Path(os.path.realpath(path)) if follow else Path(os.path.normpath(path.absolute()))


# --- the confinement in force ------------------------------------------------------------------

UNCONFINED = Confinement(Path("/"), confined=False)
_ACTIVE: contextvars.ContextVar[Confinement | None] = contextvars.ContextVar(
    "rune_confinement", default=None)


def active() -> Confinement | None:
    return _ACTIVE.get()


def current(runefile_dir: str | Path | None = None) -> Confinement:
    """The confinement in force; else the default for a Runefile in `runefile_dir`; else only
    the regular-file and size checks."""
    active = _ACTIVE.get()
    if active is not None:
        return active
    if runefile_dir is not None:
        return Confinement(_real(Path(runefile_dir)))
    return UNCONFINED


@contextmanager
def confined(confinement: Confinement) -> Iterator[Confinement]:
    token = _ACTIVE.set(confinement)
    try:
        yield confinement
    finally:
        _ACTIVE.reset(token)
