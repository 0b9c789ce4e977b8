"""Where a Runefile's names lead on disk, and its pipeline's name: what irgen puts in the
manifest about the Runefile's folder. Free of xDSL, so that a code-cache hit
(tools/code_cache.py) fills in the manifest of a pipeline compiled in another folder."""

from __future__ import annotations

from pathlib import Path

from rune.frontend import confine
from rune.frontend.ast import ResourceType, Runefile, Stage
from rune.frontend.diagnostics import error


def pipeline_name(runefile: Runefile) -> str:
    """The pipeline's symbol (the manifest's `name`): its folder's name, as an identifier."""
    name = Path(runefile.directory).name or "rune"
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "rune"


def model_source(runefile: Runefile, stage: Stage) -> str:
    """Absolute path of the model file or directory; "" for a resource with no value."""
    target = stage.target
    if target.startswith("$"):
        resource = runefile.resources[target[1:]]
        if resource.type is ResourceType.BINARY and resource.path is not None:
            return confined_path(runefile, resource.path, resource.path_span or resource.span)
        if resource.path is None and resource.inline is None:
            return ""
        raise error(f"model {stage.name} uses resource {target}, which is not a binary file",
                    stage.target_span)
    return confined_path(runefile, target, stage.target_span)


def confined_path(runefile: Runefile, name: str, span) -> str:
    """The real path of a file the Runefile names, refused at `span` when it may not be read."""
    try:
        return str(confine.current(runefile.directory).resolve(name, runefile.directory))
    except confine.ConfinementError as exc:
        raise error(str(exc), span) from None
