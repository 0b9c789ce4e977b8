"""Import a heavy library only when something first uses it, not when a module names it.

NumPy costs about a sixth of a cold `runec` (0.1 s here), yet a compile whose kernels all come
from the per-kernel cache (tools/kernel_cache.py) never calls it: the library modules that
import it at the top only need it to build a kernel or to read a compiled model's weights.
`defer("numpy")` puts a stand-in module under that name; the first attribute anyone reads from
it imports the real library, fills the stand-in with its namespace (so every `np` bound
earlier is then the library in all but identity) and leaves the real module in `sys.modules`.
Only `runec`'s command line installs it: a program that imports the compiler as a library
gets NumPy as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class _Deferred(types.ModuleType):
    """Stands for a module not yet imported; `__spec__` and other set attributes answer
    without importing it (the import system reads `__spec__` on every `import name`)."""

    def __getattr__(self, attribute: str):
        return getattr(_load(self), attribute)


def defer(name: str) -> None:
    """Make `import name` cheap until an attribute of `name` is read; nothing when `name` is
    already imported or cannot be found (then the first real use reports it as usual)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = _Deferred(name)
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    sys.modules[name] = stand_in


def loaded(name: str) -> bool:
    """Whether the real module `name` has been imported (tests, benchmarks)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _Deferred)


def _load(stand_in: _Deferred) -> types.ModuleType:
    name = stand_in.__name__
    if sys.modules.get(name) is stand_in:
        del sys.modules[name]
    real = importlib.import_module(name)
    vars(stand_in).update(vars(real))
    stand_in.__class__ = types.ModuleType  # no further indirection
    return real
