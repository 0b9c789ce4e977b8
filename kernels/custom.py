"""Custom proc blocks: a user's Python module, referenced from a Runefile by path.

The module defines one ProcBlock subclass written with the same KernelBuilder as the built-in
kernels, so it gets the same checking, lowering and fusion. In IR it is named
`file:<absolute path>`, which keeps printed IR replayable by rune-opt. No ProcBlock lives here.

Loading one runs its Python at compile time, so it goes through the confinement in force
(frontend/confine.py: by default only from inside the compile root), and the bytes checked are
the bytes executed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from functools import cache
from pathlib import Path

from rune.frontend import confine
from rune.kernels.base import ProcBlock, ProcBlockError

PREFIX = "file:"


def kernel_reference(path: Path) -> str:
    return PREFIX + str(path.resolve())


def load_custom(reference: str) -> ProcBlock:
    """The ProcBlock defined by the module a `file:` reference names."""
    path = Path(reference[len(PREFIX):])
    try:
        source = confine.current().read_custom_block(path)
    except confine.ConfinementError as exc:
        raise ProcBlockError(str(exc)) from None
    return _load(str(path), source)


@cache
def _load(path: str, source: bytes) -> ProcBlock:
    digest = hashlib.sha1(path.encode()).hexdigest()[:12]
    module_name = f"rune_custom_proc_block_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ProcBlockError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)  # the bytes checked, not a re-read
    except Exception as exc:  # the user's code: any failure is theirs to read, not a traceback
        del sys.modules[module_name]
        raise ProcBlockError(
            f"custom proc block {path} failed to load: {type(exc).__name__}: {exc}") from None
    blocks = [
        cls for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, ProcBlock) and not inspect.isabstract(cls)
        and cls.__module__ == module_name
    ]
    if len(blocks) != 1:
        found = ", ".join(cls.__name__ for cls in blocks) or "none"
        raise ProcBlockError(
            f"custom proc block {path} must define exactly one ProcBlock subclass (found {found})")
    return blocks[0]()
