"""Defer xDSL's compilation of declarative assembly formats to the first print or parse.

xDSL 0.74 compiles every op's `assembly_format` string into a `FormatProgram` while the op class
is defined, so importing the dialects a rune passes through compiles about 160 formats: a sixth
of importing xDSL (0.05 s of CPU of 0.30 on this machine, benchmarks/bench_compile_time.py),
paid by every cold `runec` even though a compile prints and parses no IR. Importing this module
(`rune.tools.compiler` does it before anything else) gives every op defined from then on a
stand-in that compiles its format the first time that op is printed or parsed. `rune.ir` does
not import it, so that the frontend's checks (ir/vocabulary.py) stay free of xDSL. A format error
in xDSL's own dialects (pinned in pyproject.toml) would surface at that first use instead of at
import.
"""

from __future__ import annotations

from xdsl.irdl import declarative_assembly_format as _formats

_compile = _formats.FormatProgram.from_str


class LazyFormatProgram:
    """A `FormatProgram` compiled on first use: the two methods xDSL's ops call."""

    __slots__ = ("_args", "_program")

    def __init__(self, *args) -> None:
        self._args = args
        self._program: _formats.FormatProgram | None = None

    def _get(self) -> _formats.FormatProgram:
        if self._program is None:
            self._program = _compile(*self._args)
        return self._program

    def parse(self, *args):
        return self._get().parse(*args)

    def print(self, *args):
        return self._get().print(*args)


def _install() -> None:
    if _formats.FormatProgram.from_str is _compile:
        _formats.FormatProgram.from_str = staticmethod(LazyFormatProgram)


_install()
