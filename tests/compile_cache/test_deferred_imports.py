"""A cold `runec` imports NumPy only when a kernel is built that needs it (sine's kernels do
not), and the rune is the same bytes as a compile in a process that imported NumPy first
(tools/deferred_imports.py). Every process here is fresh: deferral is process-wide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rune.tools import compile_cache
from rune.tools.compiler import CompileOptions, compile_runefile

REPO = Path(__file__).resolve().parents[2]
SINE = REPO / "examples" / "sine" / "Runefile.yml"


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, **env})


def test_runec_compiles_sine_without_importing_numpy(tmp_path: Path):
    out = tmp_path / "sine.rune"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rune.tools.runec", str(SINE), "-o", str(out)],
        capture_output=True, text=True, check=True,
        env={**os.environ, compile_cache.ENV: "off"})
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "xdsl.dialects.builtin" in imported and "llvmlite.binding" in imported
    assert not {name for name in imported if name.split(".")[0] == "numpy"}
    assert out.read_bytes() == compile_runefile(SINE, "rune", CompileOptions())


def test_a_deferred_module_loads_on_first_use_and_then_is_the_module():
    done = _python(
        "import sys\n"
        "from rune.tools import deferred_imports as d\n"
        "d.defer('fractions')\n"
        "import fractions\n"
        "from fractions import Fraction\n"  # reads an attribute: imports it
        "real = sys.modules['fractions']\n"
        "print(d.loaded('fractions'), Fraction(1, 3) + 1, fractions.Fraction is real.Fraction)\n"
        "d.defer('colorsys')\n"
        "import colorsys\n"  # the import system reads __spec__: not a use
        "print(d.loaded('colorsys'), colorsys.__spec__.name, d.loaded('colorsys'))\n"
        "print(colorsys.rgb_to_hsv(1, 0, 0), d.loaded('colorsys'), type(colorsys).__name__)\n")
    assert done.stdout.splitlines() == ["True 4/3 True", "False colorsys False",
                                        "(0.0, 1.0, 1) True module"]


def test_importing_a_submodule_first_loads_the_package_once():
    done = _python(
        "import sys\n"
        "from rune.tools import deferred_imports as d\n"
        "d.defer('xml')\n"
        "import xml.dom.minidom\n"  # needs the package's __path__: a use
        "print(d.loaded('xml'), xml.dom.minidom is sys.modules['xml.dom.minidom'],\n"
        "      xml.dom.minidom.parseString('<a>1</a>').documentElement.tagName)\n")
    assert done.stdout.splitlines() == ["True True a"]


def test_deferring_a_missing_or_loaded_module_changes_nothing():
    done = _python(
        "import sys, json\n"
        "from rune.tools import deferred_imports as d\n"
        "d.defer('json'); d.defer('no_such_module_here')\n"
        "print(sys.modules['json'] is json, 'no_such_module_here' in sys.modules)\n"
        "try:\n"
        "    import no_such_module_here\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc.name)\n")
    assert done.stdout.splitlines() == ["True False", "no_such_module_here"]
