"""The studio's compiler work, run as `python -m rune.forge.server.studio_job` in its own
process inside a throw-away upload folder, under the same limits as a build (studio.py).

`check`: the frontend and check-types, no code generated. `compile`: the whole compiler at an
optimisation level, returning the IR after each pass, the fusion groups, the memory plan, the
manifest and the rune. `model`: the tensors a model file declares. Custom Python blocks are
always refused. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from rune.abi.manifest import to_json_value
from rune.abi.models.info import model_info
from rune.forge.server.build_job import diagnostic_json
from rune.frontend.diagnostics import DiagnosticEngine, DiagnosticError
from rune.passes.instrumentation import Instrumentation
from rune.tools.compiler import CompileOptions, compile_runefile, parse_ir, run_frontend

DUMP = re.compile(r"^// -----// IR Dump After (\S+) //----- //\n", re.MULTILINE)


def passes_of(dump: str) -> list[dict[str, str]]:
    """The instrumentation's `--print-ir-after-all` text split into (pass, IR) pairs."""
    marks = list(DUMP.finditer(dump))
    return [{"pass": m.group(1),
             "ir": dump[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(dump)].strip()}
            for i, m in enumerate(marks)]


def fusion_groups(ir_after_fuse: str) -> list[list[str]]:
    """Stages that became one kernel: each consumer with the producers fused into it."""
    from rune.ir import dialect as rd
    from rune.passes.common import fused_chains

    groups = []
    for op in parse_ir(ir_after_fuse, "fuse-elementwise").walk():
        if isinstance(op, rd.ProcBlockOp):
            fused = [step.stage.data for chain in fused_chains(op) for step in chain]
            if fused:
                groups.append([*fused, op.stage.data])
    return groups


def _options(root: Path, opt_level: str | None, stream: io.StringIO | None) -> CompileOptions:
    instrument = Instrumentation(print_after_all=stream is not None,
                                 stream=stream if stream is not None else io.StringIO())
    return CompileOptions(opt_level=opt_level, root=root, allow_custom_blocks=False,
                          instrument=instrument)


def check(root: Path, runefile: str) -> dict[str, Any]:
    engine = DiagnosticEngine()
    errors = []
    try:
        run_frontend(root / runefile, engine, _options(root, None, None))
        # check-types is the first pass that reads kernel signatures; run it alone.
        options = _options(root, None, None)
        options.passes = "convert-models,infer-quantization,check-types"
        compile_runefile(root / runefile, "ir", options, engine)
    except DiagnosticError as exc:
        errors = list(exc.diagnostics)
    diagnostics = list(engine.diagnostics) + errors
    return {"ok": not any(d.severity.name == "ERROR" for d in diagnostics),
            "diagnostics": [diagnostic_json(d, root) for d in diagnostics]}


def compile_(root: Path, runefile: str, opt_level: str) -> dict[str, Any]:
    engine = DiagnosticEngine()
    stream = io.StringIO()
    options = _options(root, opt_level, stream)
    try:
        rune = compile_runefile(root / runefile, "rune", options, engine)
    except DiagnosticError as exc:
        return {"ok": False, "diagnostics": [diagnostic_json(d, root) for d in
                                             [*engine.diagnostics, *exc.diagnostics]]}
    assert isinstance(rune, bytes)
    passes = passes_of(stream.getvalue().replace(str(root) + "/", ""))  # no server paths
    fuse = [p["ir"] for p in passes if p["pass"] == "fuse-elementwise"]
    manifest = to_json_value(options.manifest) if options.manifest is not None else {}
    return {"ok": True, "diagnostics": [diagnostic_json(d, root) for d in engine.diagnostics],
            "opt_level": options.resolved_target().opt_level, "passes": passes,
            "fusion_groups": fusion_groups(fuse[0]) if fuse else [],
            "memory": manifest.get("memory"), "manifest": _portable(manifest, root),
            "rune_base64": base64.b64encode(rune).decode()}


def _portable(manifest: dict[str, Any], root: Path) -> dict[str, Any]:
    """The manifest with model sources relative to the upload folder (no server paths)."""
    text = json.dumps(manifest).replace(str(root) + "/", "")
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forge-studio-job")
    parser.add_argument("mode", choices=("check", "compile", "model"))
    parser.add_argument("--runefile", default="Runefile.yml")
    parser.add_argument("--opt-level", default="2")
    parser.add_argument("--model")
    args = parser.parse_args(argv)
    root = Path(os.getcwd()).resolve()
    try:
        if args.mode == "check":
            report = check(root, args.runefile)
        elif args.mode == "compile":
            report = compile_(root, args.runefile, args.opt_level)
        else:
            report = {"ok": True, "model": model_info(root / args.model)}
    except Exception as exc:  # hostile input the readers refuse, or a compiler bug
        report = {"ok": False, "diagnostics": [{
            "severity": "error", "message": f"{type(exc).__name__}: {exc}", "location": None,
            "notes": []}]}
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
