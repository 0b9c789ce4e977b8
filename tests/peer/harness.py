"""The peer-suite harness: find the original Rune's cases, run our CLIs on them, compare.

The peer suite (the original Rune's integration tests and examples, hotg-ai/rune v0.11.3) lives
beside the checkout in ../shared/peer-suite and is read where it is; nothing is copied into the
repository. Cases are found at collection time, exactly as the original's runner found them:
every folder holding a Runefile.yml under compile-pass/, compile-fail/, run-pass/, run-fail/.

What the original's runner did (hotg-ai/rune integration-tests/src: loader.rs, run.rs,
assertions.rs), and what this harness mirrors:
- the exit status decides pass/fail; every `*.stdout` / `*.stderr` file in the case folder is a
  text that must appear in the command's stdout / stderr (for compile cases the command is the
  compiler, for run cases `rune run`);
- run cases pass every file whose extension is png/jpg (image), wav (sound), csv
  (accelerometer), rand (random) or bin (raw) to `rune run`; several files of one kind go by
  the capability's `source` index, which the suite's file names (0_content.jpg, 1_style.jpg)
  order by name, so files are passed in sorted name order;
- floats are compared after truncating their decimal text to 5 decimals (`reduce_precision`);
- cases whose name starts with `_` were skipped; we run them too.

Our JSON (`[{name, kind, tensors: [...]}]`) differs in shape from the original's
(`{"<node id>": [tensor, ...]}`), so outputs are compared value by value, not as text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
PEER_SUITE = (Path(__file__).resolve().parents[2].parent / "shared" / "peer-suite").resolve()
HOTG = PEER_SUITE / "hotg-rune"
INTEGRATION = HOTG / "integration-tests"
EXAMPLES = HOTG / "examples"
DIVERGENCES_FILE = Path(__file__).resolve().parent / "divergences.toml"

KINDS = ("compile-pass", "compile-fail", "run-pass", "run-fail")
# extension -> what the original's runner passed it as (run.rs); we pass the files positionally
# and `rune run` routes them by the same extensions.
FIXTURE_EXTENSIONS = {"png": "image", "jpg": "image", "wav": "sound", "csv": "accelerometer",
                      "rand": "random", "bin": "raw"}  # fmt: skip

_ERROR_LINE = re.compile(r"\berror: ")
_SEVERITY_PREFIX = re.compile(r"^(?P<severity>error|warning):\s*", re.IGNORECASE)
_FACTS = re.compile(r'"[^"]*"|`[^`]*`|\b\d+\b')


# -- cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str  # compile-pass, compile-fail, run-pass, run-fail
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def runefile(self) -> Path:
        return self.folder / "Runefile.yml"

    def expected(self, suffix: str) -> list[tuple[str, str]]:
        """(file name, trimmed text) of every `*.<suffix>` file, by name."""
        return [(p.name, p.read_text(encoding="utf-8").strip())
                for p in sorted(self.folder.glob(f"*.{suffix}"))]  # fmt: skip

    def fixtures(self) -> list[Path]:
        """The input files the original's runner passed to `rune run`, in name order."""
        return sorted(p for p in self.folder.iterdir()
                      if p.is_file() and p.suffix[1:] in FIXTURE_EXTENSIONS)  # fmt: skip


def discover() -> list[Case]:
    """Every case of the integration tests, found the way the original's loader found them."""
    if not INTEGRATION.is_dir():
        return []
    cases = []
    for runefile in sorted(INTEGRATION.glob("*/*/Runefile.yml")):
        kind = runefile.parent.parent.name
        if kind in KINDS:
            cases.append(Case(kind, runefile.parent.name, runefile.parent))
    return cases


def example_runefiles() -> list[Path]:
    return sorted(EXAMPLES.glob("*/Runefile.yml")) if EXAMPLES.is_dir() else []


# -- the divergences file -------------------------------------------------------------------


def load_divergences() -> dict[str, Any]:
    with DIVERGENCES_FILE.open("rb") as f:
        data = tomllib.load(f)
    data.setdefault("divergence", {})
    data.setdefault("placeholder", {})
    return data


# -- running the CLIs -----------------------------------------------------------------------


def _command(tool: str) -> list[str]:
    """The installed console script beside the interpreter running pytest (the venv's), or the
    same entry point through `python -m` when the scripts are not there."""
    script = Path(sys.executable).with_name(tool)
    if script.is_file():
        return [str(script)]
    module = {"runec": "rune.tools.runec", "rune": "rune.runtime.cli"}[tool]
    return [sys.executable, "-m", module]


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if _ERROR_LINE.search(line)]

    def explain(self) -> str:
        out = self.stdout if len(self.stdout) < 2000 else self.stdout[:2000] + " ..."
        return (f"$ {' '.join(self.args)}\nexit {self.returncode}\n--- stderr\n{self.stderr}"
                f"--- stdout\n{out}")  # fmt: skip


def run_tool(tool: str, *args: str | Path, cwd: Path) -> Result:
    argv = [str(a) for a in args]
    proc = subprocess.run([*_command(tool), *argv], cwd=cwd, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=300, check=False)  # fmt: skip
    return Result([tool, *argv], proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))  # fmt: skip


@dataclass
class Compiled:
    result: Result
    rune: Path

    def ok(self) -> Path:
        """The rune; fails the test with the compiler's output when it did not compile."""
        assert self.result.returncode == 0, f"runec failed\n{self.result.explain()}"
        assert_no_crash(self.result)
        assert self.rune.is_file() and self.rune.stat().st_size > 0, self.result.explain()
        return self.rune


class Toolbox:
    """Runs `runec` and `rune run`, each distinct command once per session.

    `rune run` is the installed command, one process per run. `runec` runs through
    runec_server.py: one process per compile too, forked from a server that has imported the
    compiler once, which takes the harness from about a minute of Python start-up to seconds.
    """

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self._compiled: dict[tuple[Path, tuple[str, ...]], Compiled] = {}
        self._runs: dict[tuple[Path, tuple[Path, ...], tuple[str, ...]], Result] = {}
        self._server: subprocess.Popen[str] | None = None

    def compile(self, runefile: Path, *flags: str) -> Compiled:
        """`runec RUNEFILE FLAGS... -o RUNE`, once per distinct command."""
        key = (runefile.resolve(), flags)
        if key not in self._compiled:
            stem = f"{len(self._compiled):03d}-{key[0].parent.name}"
            rune = self.scratch / f"{stem}.rune"
            result = self._runec(stem, key[0], *flags, "-o", rune)
            self._compiled[key] = Compiled(result, rune)
        return self._compiled[key]

    def run(self, rune: Path, files: list[Path] | tuple[Path, ...], *flags: str) -> Result:
        key = (rune, tuple(files), flags)
        if key not in self._runs:
            self._runs[key] = run_tool("rune", "run", *flags, rune, *files, cwd=self.scratch)
        return self._runs[key]

    def _runec(self, stem: str, *args: str | Path) -> Result:
        argv = [str(a) for a in args]
        out, err = self.scratch / f"{stem}.runec.stdout", self.scratch / f"{stem}.runec.stderr"
        server = self._start()
        assert server.stdin is not None and server.stdout is not None
        job = {"args": argv, "cwd": str(self.scratch), "stdout": str(out), "stderr": str(err)}
        server.stdin.write(json.dumps(job) + "\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        assert answer, f"the runec server died (exit {server.poll()})"
        return Result(["runec", *argv], json.loads(answer)["returncode"],
                      out.read_text(encoding="utf-8", errors="replace"),
                      err.read_text(encoding="utf-8", errors="replace"))  # fmt: skip

    def _start(self) -> subprocess.Popen[str]:
        if self._server is None or self._server.poll() is not None:
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # fork-safe
            self._server = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("runec_server.py"))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.scratch,
                env=env,
            )  # fmt: skip
        return self._server

    def close(self) -> None:
        if self._server is not None:
            assert self._server.stdin is not None
            self._server.stdin.close()
            self._server.wait(timeout=60)
            self._server = None


# -- checks ---------------------------------------------------------------------------------


def assert_no_crash(result: Result) -> None:
    assert "Traceback" not in result.stderr, result.explain()


def assert_clean_failure(result: Result) -> None:
    """Exit status 1, at least one error line, no traceback."""
    assert result.returncode == 1, f"expected exit 1\n{result.explain()}"
    assert_no_crash(result)
    assert result.error_lines(), f"no error message\n{result.explain()}"


def fact_missing(expected: str, stderr: str) -> str | None:
    """None when `expected` (a text the original printed) is carried by `stderr`; else why not.

    The text itself may appear; or, since our words may differ, every fact of it (each quoted
    name, each `field`, each number) must appear on one line. A leading `error:`/`warning:`
    must be matched by a line of that severity. Texts without such facts must appear as they are.
    """
    severity = None
    body = expected
    match = _SEVERITY_PREFIX.match(expected)
    if match:
        severity = match["severity"].lower()
        body = expected[match.end():]
    lines = stderr.splitlines()
    if severity:
        lines = [line for line in lines if re.search(rf"\b{severity}: ", line, re.IGNORECASE)]
    if "\n" in body:
        if body in stderr:
            return None
    elif any(body in line for line in lines):
        return None
    facts = _FACTS.findall(body)
    if facts and any(all(fact in line for fact in facts) for line in lines):
        return None
    where = f" on a line with `{severity}:`" if severity else ""
    if facts:
        return f"neither {body!r} nor all of its facts {facts}{where} appear in stderr"
    return f"{body!r} does not appear{where} in stderr"


def assert_facts(expected: list[tuple[str, str]], result: Result) -> None:
    for name, text in expected:
        problem = fact_missing(text, result.stderr)
        assert problem is None, f"{name}: {problem}\n{result.explain()}"


def outputs_of(result: Result) -> list[dict]:
    """Our `rune run` JSON: one {name, kind, tensors} per output stage."""
    assert result.returncode == 0, f"rune run failed\n{result.explain()}"
    assert_no_crash(result)
    outputs = json.loads(result.stdout)
    assert isinstance(outputs, list), result.stdout[:500]
    return outputs


def tensor(t: dict) -> dict:
    """A tensor of either JSON shape as {element_type, dimensions, elements}."""
    return {"element_type": t.get("element_type", t.get("element-type")),
            "dimensions": list(t["dimensions"]), "elements": list(t["elements"])}  # fmt: skip


def original_outputs(path: Path) -> list[list[dict]]:
    """A `*.stdout` of the original, `{"<node id>": [tensor, ...]}`, as tensor lists in order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [[tensor(t) for t in tensors] for tensors in data.values()]


def decimal_text(value: float, element_type: str) -> str:
    """How the original printed a float: the shortest text that reads back as the same f32/f64,
    in positional notation (Rust's Display for floats)."""
    dtype = np.float32 if element_type == "f32" else np.float64
    return np.format_float_positional(dtype(value), unique=True, trim="-")


def truncate5(text: str) -> Decimal:
    """`reduce_precision` of the original's runner: cut the decimal text after 5 decimals."""
    whole, _, fraction = text.partition(".")
    return Decimal(f"{whole}.{fraction[:5]}" if fraction else whole)


def comparable(t: dict) -> list[Any]:
    if t["element_type"] in ("f32", "f64"):
        return [truncate5(decimal_text(v, t["element_type"])) for v in t["elements"]]
    return list(t["elements"])


def assert_outputs_match(ours: list[dict], theirs: list[list[dict]], label: str) -> None:
    """Every output and tensor in order: element type, dimensions, and values (floats to 5
    decimals, truncated; integers and strings exactly)."""
    assert len(ours) == len(theirs), f"{label}: {len(ours)} outputs, expected {len(theirs)}"
    for index, (output, expected) in enumerate(zip(ours, theirs, strict=True)):
        got = [tensor(t) for t in output["tensors"]]
        where = f"{label}: output {index} ({output.get('name')})"
        assert len(got) == len(expected), f"{where}: {len(got)} tensors, expected {len(expected)}"
        for slot, (mine, want) in enumerate(zip(got, expected, strict=True)):
            assert mine["element_type"] == want["element_type"], (where, slot, mine, want)
            assert mine["dimensions"] == want["dimensions"], (where, slot, mine, want)
            assert comparable(mine) == comparable(want), (
                f"{where} tensor {slot}: got {mine['elements'][:20]}, "
                f"expected {want['elements'][:20]}"
            )


def single_tensor(outputs: list[dict]) -> dict:
    assert len(outputs) == 1, outputs
    tensors = outputs[0]["tensors"]
    assert len(tensors) == 1, outputs
    return tensor(tensors[0])
