"""The proc-block library: every kernel a Runefile can name, keyed by canonical name.

Each module in this package defines ProcBlock subclasses; they are found here, so adding a
kernel never means editing a shared list.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from rune.ir.proc_blocks import custom
from rune.ir.proc_blocks.base import ProcBlock

_NOT_KERNELS = {"base", "resolve", "custom"}


def _discover() -> dict[str, ProcBlock]:
    library: dict[str, ProcBlock] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_KERNELS:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ProcBlock) and not inspect.isabstract(cls) and (
                    cls.__module__ == module.__name__):
                block = cls()
                if block.name in library:
                    raise RuntimeError(f"two proc blocks are called {block.name}")
                library[block.name] = block
    return library


LIBRARY: dict[str, ProcBlock] = _discover()


def lookup(name: str) -> ProcBlock | None:
    """A library kernel by canonical name, or a custom one by its `file:` reference (which
    raises ProcBlockError when the module cannot be loaded)."""
    if name.startswith(custom.PREFIX):
        return custom.load_custom(name)
    return LIBRARY.get(name)
