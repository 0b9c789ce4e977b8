"""`rune graph`: the pipeline as a Graphviz DOT graph, and SVG/PNG through Graphviz's `dot`.

Nodes are the manifest's stages in execution order (shaped by kind), edges are its tensors,
labelled with their element type and shape. A manifest without a `stages` list (hand-written
runes) is drawn from its capabilities, models and outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from .errors import RuneError
from .manifest import Manifest, StageSpec

#: Image formats `render` can ask `dot` for.
IMAGE_FORMATS = ("svg", "png")
_SHAPES = {
    "capability": "invhouse",
    "model": "box3d",
    "proc-block": "box",
    "out": "house",
    "output": "house",
}


def _stages(manifest: Manifest) -> list[StageSpec]:
    if manifest.stages:
        return list(manifest.stages)
    return (
        [StageSpec(name=c.name, kind="capability", outputs=c.outputs)
         for c in manifest.capabilities]
        + [StageSpec(name=m.name, kind="model", inputs=m.inputs, outputs=m.outputs)
           for m in manifest.models]
        + [StageSpec(name=o.name, kind="output", inputs=o.inputs) for o in manifest.outputs]
    )


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid DOT string


def to_dot(manifest: Manifest) -> str:
    """The pipeline as DOT text."""
    stages = _stages(manifest)
    lines = [f"digraph {_quote(manifest.name)} {{", "  rankdir=LR;", "  node [fontsize=11];"]
    producers: dict[int, str] = {}
    for stage in stages:
        what = stage.proc_block or stage.kind
        label = stage.name if what == stage.name else f"{stage.name}\n{what}"
        shape = _SHAPES.get(stage.kind, "ellipse")
        lines.append(f"  {_quote(stage.name)} [label={_quote(label)}, shape={shape}];")
        for tensor in stage.outputs:
            producers.setdefault(tensor.id, stage.name)
    for stage in stages:
        for tensor in stage.inputs:
            source = producers.get(tensor.id)
            if source is not None:
                lines.append(
                    f"  {_quote(source)} -> {_quote(stage.name)} "
                    f"[label={_quote(tensor.describe())}];"
                )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, fmt: str) -> bytes:
    """Lay the graph out as SVG or PNG with Graphviz's `dot` program."""
    if fmt not in IMAGE_FORMATS:
        raise RuneError(f"unknown graph format {fmt!r} (dot, {', '.join(IMAGE_FORMATS)})")
    program = shutil.which("dot")
    if program is None:
        raise RuneError(
            f"{fmt.upper()} output needs Graphviz's dot program (e.g. apt-get install graphviz); "
            "DOT output (--format dot) works without it"
        )
    result = subprocess.run(
        [program, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuneError(f"dot failed: {reason[0] if reason else f'exit {result.returncode}'}")
    return result.stdout
