"""Helpers for the end-to-end tests: run the real CLIs as subprocesses, read the peer suite.

Every tool runs as `python -m rune.tools.<module>` with the interpreter running pytest, so the
tests exercise exactly what a user runs (argument parsing, exit codes, stderr) and nothing of the
test process leaks into them.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rune.abi.container import check_header, wasm_sections_of

REPO = Path(__file__).resolve().parents[2]
PEER_SUITE = (REPO / ".." / "shared" / "peer-suite").resolve()
INTEGRATION = PEER_SUITE / "hotg-rune" / "integration-tests"
EXAMPLES = REPO / "examples"

TOOLS = {
    "runec": "rune.tools.runec",
    "rune": "rune.runtime.cli",
    "rune-opt": "rune.tools.rune_opt",
}

# `path:line:col: error: message`, the first line of a diagnostic.
DIAGNOSTIC = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|note): (?P<message>.*)$"
)


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8")

    def error_lines(self) -> list[str]:
        """Every stderr line that reports an error (diagnostic headers and `tool: error:`)."""
        return [line for line in self.stderr.splitlines() if re.search(r"\berror: ", line)]

    def explain(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode}\n--- stderr\n{self.stderr}"
                f"--- stdout\n{self.stdout_bytes[:2000]!r}")


def run_tool(tool: str, *args: str | Path, cwd: Path | None = None,
             stdin: bytes | None = None) -> Result:
    """Run one CLI (`runec`, `rune`, `rune-opt`) to completion."""
    argv = [str(a) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", TOOLS[tool], *argv],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=300,
        check=False,
    )
    return Result([tool, *argv], proc.returncode, proc.stdout,
                  proc.stderr.decode("utf-8", errors="replace"))


def run_many(calls: Iterable[tuple]) -> list[Result]:
    """Run several tools at once (independent processes). Each call is `(tool, *args)`, or
    `("rune-opt", None, None, stdin_bytes)` to feed stdin to a tool with no arguments."""

    def one(call: tuple) -> Result:
        if len(call) == 4 and call[1] is None and call[2] is None:
            return run_tool(call[0], stdin=call[3])
        return run_tool(*call)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, list(calls)))


def runec_ok(runefile: Path, output: Path, *flags: str) -> Path:
    result = run_tool("runec", runefile, "-o", output, *flags)
    assert result.returncode == 0, result.explain()
    assert output.is_file() and output.stat().st_size > 0
    return output


def assert_clean_failure(result: Result, *, code: int = 1, errors: int | None = 1) -> str:
    """The tool failed with `code`, said why, and did not crash. Returns the first error line."""
    assert result.returncode == code, result.explain()
    assert "Traceback" not in result.stderr, result.explain()
    assert "Exception" not in result.stderr, result.explain()
    lines = result.error_lines()
    assert lines, f"no error message\n{result.explain()}"
    if errors is not None:
        assert len(lines) == errors, f"expected {errors} error(s)\n{result.explain()}"
    return lines[0]


def run_outputs(result: Result) -> list[dict]:
    """The JSON `rune run` printed: [{name, kind, tensors: [...]}]."""
    assert result.returncode == 0, result.explain()
    outputs = json.loads(result.stdout)
    assert isinstance(outputs, list), result.stdout
    return outputs


def peer_expected(path: Path) -> list[list[dict]]:
    """A peer `*.stdout` file, `{"<node id>": [tensor, ...], ...}`, as one tensor list per output,
    each tensor normalised to {element_type, dimensions, elements}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [[_tensor(t) for t in tensors] for tensors in data.values()]


def _tensor(t: dict) -> dict:
    return {
        "element_type": t.get("element_type", t.get("element-type")),
        "dimensions": list(t["dimensions"]),
        "elements": list(t["elements"]),
    }


def truncate5(value: float | int) -> float | int:
    """The original compared floats after truncating them to 5 decimals."""
    if isinstance(value, float):
        return math.trunc(value * 100_000) / 100_000
    return value


def assert_outputs_match(actual: list[dict], expected: list[list[dict]]) -> None:
    """Our `rune run` JSON against a peer expectation: every output, every tensor, in order."""
    assert len(actual) == len(expected), (actual, expected)
    for output, tensors in zip(actual, expected, strict=True):
        got = [_tensor(t) for t in output["tensors"]]
        assert len(got) == len(tensors), (output, tensors)
        for mine, theirs in zip(got, tensors, strict=True):
            assert mine["element_type"] == theirs["element_type"]
            assert mine["dimensions"] == theirs["dimensions"]
            assert len(mine["elements"]) == len(theirs["elements"])
            assert [truncate5(v) for v in mine["elements"]] == [
                truncate5(v) for v in theirs["elements"]
            ], (mine, theirs)


def diagnostics(stderr: str) -> list[tuple[str, int, int, str, str]]:
    """(path, line, col, severity, message) of every located diagnostic, in order."""
    found = []
    for line in stderr.splitlines():
        match = DIAGNOSTIC.match(line)
        if match:
            found.append((match["path"], int(match["line"]), int(match["col"]),
                          match["severity"], match["message"]))
    return found


def ir_dump_names(stderr: str) -> list[str]:
    return re.findall(r"^// -----// IR Dump After (\S+) //----- //$", stderr, re.MULTILINE)


def wasm_sections(data: bytes) -> list[tuple[int, str | None, int]]:
    """(id, custom-section name or None, payload length) of every section of a wasm module,
    walked by the runtime's container reader (it checks the header and that the sections fill
    the file exactly)."""
    check_header(data)
    return [(s.id, s.name, s.end - s.payload_start) for s in wasm_sections_of(data)]
