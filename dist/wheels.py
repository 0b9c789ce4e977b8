"""Build Rune's two wheels and measure what installing each one costs.

    python dist/wheels.py build OUT/     # rune_runtime-*.whl and rune_compiler-*.whl in OUT/
    python dist/wheels.py sizes          # fresh venvs, each with one distribution: du of both

rune-runtime (dist/runtime/pyproject.toml) holds rune.runtime and rune.abi; rune-compiler (the
top-level pyproject.toml) holds the compiler and depends on rune-runtime. Each project is laid
out in a staging folder first, with symbolic links followed (dist/runtime links to the
repository's abi/ and runtime/), so the build sees plain files and leaves nothing in the checkout.
tests/dist installs the runtime wheel into a fresh venv and runs a rune with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = {"rune-runtime": ROOT / "dist" / "runtime", "rune-compiler": ROOT}
_SKIP = shutil.ignore_patterns(
    "__pycache__", "build", "*.egg-info", ".venv", ".git", "dist", "tests", "benchmarks",
    "examples", "mcu", "node_modules", ".*_cache",
)


def run(args: list[str | Path], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """A subprocess outside any venv the caller runs in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env,
                          timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{done.stderr}")
    return done


def build_wheel(name: str, out: Path) -> Path:
    """Build distribution `name` (a key of PROJECTS) into `out`; return the wheel's path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / name
        shutil.copytree(PROJECTS[name], staging, symlinks=False, ignore=_SKIP)
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             staging, "-w", out])  # fmt: skip
    (wheel,) = out.glob(name.replace("-", "_") + "-*.whl")
    return wheel


def make_venv(path: Path, wheels: list[Path]) -> float:
    """A fresh venv (no system site-packages) with `wheels` and their dependencies installed
    from the package index; returns the seconds it took."""
    start = time.perf_counter()
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", path])
    if wheels:
        run([path / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
             "--disable-pip-version-check", *wheels])  # fmt: skip
    return time.perf_counter() - start


def site_packages_bytes(venv: Path) -> int:
    (site,) = (venv / "lib").glob("python3*/site-packages")
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink())


def sizes() -> None:
    """Print what each distribution adds to a fresh venv's site-packages."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runtime = build_wheel("rune-runtime", work / "wheels")
        compiler = build_wheel("rune-compiler", work / "wheels")
        make_venv(work / "empty", [])
        empty = site_packages_bytes(work / "empty")
        for label, wheels in (("rune-runtime", [runtime]),
                              ("rune-compiler (with rune-runtime)", [runtime, compiler])):
            venv = work / label.split()[0]
            seconds = make_venv(venv, wheels)
            added = site_packages_bytes(venv) - empty
            print(f"{label}: {added / 1e6:.0f} MB in site-packages "
                  f"(fresh venv: {empty / 1e6:.0f} MB), installed in {seconds:.0f} s")


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"] and len(argv) == 2:
        for name in PROJECTS:
            print(build_wheel(name, Path(argv[1])))
        return 0
    if argv == ["sizes"]:
        sizes()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
