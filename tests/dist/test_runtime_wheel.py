"""rune-runtime stands alone: its wheel, installed into a fresh venv with nothing else (its
dependencies come from the package index or pip's cache), runs a rune compiled beforehand by
the compiler, and the compiler's own dependencies are absent there."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SINE = ROOT / "examples" / "sine"

_spec = importlib.util.spec_from_file_location("rune_wheels", ROOT / "dist" / "wheels.py")
wheels = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(wheels)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def runtime_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheels.build_wheel("rune-runtime", tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="module")
def runtime_venv(runtime_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the runtime wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("runtime-venv") / "venv"
    seconds = wheels.make_venv(venv, [runtime_wheel])
    print(f"\nruntime venv: created and installed in {seconds:.1f} s")
    return venv


def test_wheel_holds_only_the_runtime_and_the_abi(runtime_wheel: Path) -> None:
    with zipfile.ZipFile(runtime_wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt")))
    packages = {"/".join(n.split("/")[:2]) for n in names if n.startswith("rune/")}
    assert packages == {"rune/abi", "rune/runtime"}
    assert "rune/abi/models/tflite_format.py" in names and "rune/runtime/cli.py" in names
    requires = [line for line in metadata.decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]  # fmt: skip
    assert requires == [
        "Requires-Dist: wasmtime==50.0.1", "Requires-Dist: ai-edge-litert==2.3.0",
        "Requires-Dist: numpy>=1.26", "Requires-Dist: pillow==13.0.0",
    ]  # fmt: skip
    assert "rune = rune.runtime.cli:main" in entry_points.decode()


def test_a_compiled_rune_runs_without_the_compiler(runtime_venv: Path, tmp_path: Path) -> None:
    rune_file = tmp_path / "sine.rune"
    wheels.run([BIN / "runec", SINE / "Runefile.yml", "-o", rune_file])
    here = wheels.run([BIN / "rune", "run", rune_file, "--raw", SINE / "input.bin"])
    there = wheels.run([runtime_venv / "bin" / "rune", "run", rune_file, "--raw",
                        SINE / "input.bin"])  # fmt: skip
    assert there.stdout == here.stdout
    (output,) = json.loads(there.stdout)
    assert output["name"] == "serial" and len(output["tensors"]) == 1


@pytest.mark.parametrize("module", ["xdsl", "llvmlite", "yaml", "rune.passes", "rune.tools"])
def test_the_compiler_is_not_there(runtime_venv: Path, module: str) -> None:
    done = subprocess.run([runtime_venv / "bin" / "python", "-c", f"import {module}"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert "ModuleNotFoundError" in done.stderr


def test_the_runtime_venv_has_no_compiler_script(runtime_venv: Path) -> None:
    scripts = {p.name for p in (runtime_venv / "bin").iterdir()}
    assert "rune" in scripts and "runec" not in scripts and "rune-opt" not in scripts
