"""The kernel registry's name -> module table is the library's truth, checked against discovery."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import rune.kernels as kernels
from rune.kernels import LIBRARY, MODULES, blocks_of, lookup

_NOT_KERNEL_MODULES = {"base", "custom"}


def test_table_names_every_kernel_of_every_module_and_nothing_else():
    found = {}
    for info in pkgutil.iter_modules(kernels.__path__):
        if info.name in _NOT_KERNEL_MODULES:
            continue
        for block in blocks_of(info.name):
            assert block.name not in found, f"two proc blocks are called {block.name}"
            found[block.name] = info.name
    assert found == MODULES
    assert sorted(LIBRARY) == sorted(MODULES)
    assert all(LIBRARY[name].name == name for name in MODULES)


def test_looking_up_one_kernel_imports_its_module_alone():
    code = ("import sys; from rune.kernels import lookup; print(lookup('mfcc').name, "
            "*sorted(m for m in sys.modules if m.startswith('rune.kernels.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    name, *modules = out.stdout.split()
    assert name == "mfcc" and "rune.kernels.mel" in modules
    others = {f"rune.kernels.{module}" for module in MODULES.values()} - {"rune.kernels.mel"}
    assert others.isdisjoint(modules)


def test_registered_kernels_can_be_added_and_removed():
    softmax = LIBRARY["softmax"]
    LIBRARY["my_softmax"] = softmax
    try:
        assert lookup("my_softmax") is softmax and "my_softmax" in LIBRARY
        assert len(LIBRARY) == len(MODULES) + 1
    finally:
        del LIBRARY["my_softmax"]
    assert lookup("my_softmax") is None and len(LIBRARY) == len(MODULES)
