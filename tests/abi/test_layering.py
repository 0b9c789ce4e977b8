"""The layering (docs/architecture.md): rune.abi at the bottom imports nothing else of ours; the
runtime and the compiler both stand on it and neither imports the other; no pass imports
another pass. Every import of every module counts, including those inside functions."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPILER = ("rune.frontend", "rune.ir", "rune.passes", "rune.backend_wasm", "rune.tools",
            "rune.kernels")  # fmt: skip
#: Modules under passes/ that are not passes: the registry names them all, the instrumentation
#: runs a pipeline of them, `common` is what they share.
NOT_PASSES = {"registry", "instrumentation", "common", "__init__"}


def imports_of(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, a module of `package`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:  # `from rune import runtime` imports rune.runtime
                yield node.lineno, f"{base}.{alias.name}"


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT)
        package = "rune." + ".".join(rel.parent.parts)
        for line, name in imports_of(path.read_text(encoding="utf-8"), package):
            if _under(name, forbidden):
                found.append(f"{rel}:{line}: imports {name}")
    return found


@pytest.mark.parametrize("folder", ["passes", "backend_wasm", "frontend", "ir"])
def test_compiler_never_imports_the_runtime(folder: str) -> None:
    assert violations(folder, ("rune.runtime",)) == []


@pytest.mark.parametrize("folder", ["runtime", "eval", "forge/sdk"])  # all ship in rune-runtime
def test_runtime_never_imports_the_compiler(folder: str) -> None:
    assert violations(folder, ("xdsl", "llvmlite", "yaml", *COMPILER)) == []


def test_abi_imports_nothing_else_of_ours() -> None:
    assert violations("abi", ("xdsl", "llvmlite", "yaml", "rune.runtime", *COMPILER)) == []


def test_no_pass_imports_another_pass() -> None:
    passes = {p.stem for p in (ROOT / "passes").glob("*.py")} - NOT_PASSES
    found = []
    for name in sorted(passes):
        path = ROOT / "passes" / f"{name}.py"
        for line, module in imports_of(path.read_text(encoding="utf-8"), "rune.passes"):
            other = module.removeprefix("rune.passes.").split(".")[0]
            if module.startswith("rune.passes.") and other in passes | {"registry"}:
                found.append(f"passes/{name}.py:{line}: imports {module}")
    assert found == []


def test_the_walk_sees_every_form_of_import() -> None:
    """The checker itself: absolute, from, relative and function-local imports all count."""
    source = (
        "import rune.runtime.host\n"
        "from rune import runtime\n"
        "from ..runtime import abi\n"
        "def f():\n"
        "    from rune.runtime.container import read_rune\n"
    )
    found = [(line, n) for line, n in imports_of(source, "rune.passes")
             if _under(n, ("rune.runtime",))]
    assert {line for line, _ in found} == {1, 2, 3, 5}
    assert (3, "rune.runtime.abi") in found
    assert not _under("rune.runtimes", ("rune.runtime",))
