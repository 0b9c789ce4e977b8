"""The code cache: a wasm rune's optimised pipeline object, reused by every Runefile that
differs from the one it was compiled for only in data arguments (ir/data_args.py).

A label kernel's wordlist decides data, not code: the kernel reads its strings and their count
from tables defined in an object of their own (backend_wasm/data_object.py). So a compile whose
Runefile has such an argument also stores its pipeline's object (after LLVM, before wasm-ld),
with the manifest and which kernels' data arguments it links beside, under the compile cache's
key (compile_cache.cache_key: compiler, request, every file the Runefile names) taken over the
Runefile's syntax tree without source positions and data arguments' values, and without the
folder's path (the object does not depend on it; the manifest's name and model paths are
filled in for the Runefile at hand, `manifest_for`). A cold `runec` that misses the whole-output
cache but hits here builds the tables from this Runefile's values, links them beside the cached
object and packages the rune: no xDSL, no passes, no LLVM optimisation. The output is
byte-identical to a compile without any cache, which links the same two objects
(tests/compile_cache/test_code_cache.py).

Entries live in `code/` inside the compile cache's directory, in its envelope (digest, key
first in the payload) and under its size cap (cache_eviction.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rune.abi.errors import RuneLoadError
from rune.abi.manifest import Manifest, decode, to_json_value
from rune.backend_wasm.link import LinkError, link_wasm
from rune.backend_wasm.package import PackageError, package_rune
from rune.backend_wasm.target import TARGETS, Target
from rune.frontend.ast import Runefile, StageKind
from rune.frontend.diagnostics import error
from rune.frontend.references import library_name
from rune.frontend.sources import model_source, pipeline_name
from rune.ir.data_args import DATA_ARGS
from rune.tools import compile_cache

_VERSION = b"rune-code-1\0"
EMITS = ("wasm", "rune")  # outputs linked by wasm-ld, whose data tables are an object apart
EXPORTS = ["rune_run"]


@dataclass(frozen=True)
class Entry:
    obj: bytes  # the pipeline's optimised object
    data: list[tuple[str, str, str]]  # (kernel symbol, stage, DATA_ARGS key) linked beside it
    manifest: Manifest


def code_key(runefile: Runefile, request: compile_cache.Request) -> str | None:
    """The entry's name, or None when the code cache does not apply: not a wasm32 rune or
    wasm, no data argument (the whole-output cache serves it alone), or a data argument that
    is not written in the Runefile itself (a resource)."""
    if request.emit not in EMITS or TARGETS[request.target].native:
        return None
    data = _data_stages(runefile)
    if not data or any(runefile.stages[name].args[arg].resource is not None
                       for name, arg in data.items()):
        return None
    return compile_cache.cache_key(runefile, _VERSION + _syntax(runefile, data), request,
                                   in_folder=False)


def _data_stages(runefile: Runefile) -> dict[str, str]:
    """{stage: its data argument} for the library kernels with one."""
    found = {}
    for stage in runefile.stages.values():
        data = DATA_ARGS.get(library_name(stage.target) or "")
        if stage.kind is StageKind.PROC_BLOCK and data and data.arg in stage.args:
            found[stage.name] = data.arg
    return found


def _syntax(runefile: Runefile, data: dict[str, str]) -> bytes:
    """The syntax tree as JSON: everything but source positions and data arguments' values."""
    stages = []
    for stage in runefile.stages.values():
        args = {}
        for arg in stage.args.values():
            value = arg.value
            if data.get(stage.name) == arg.name:
                value = "(data)"  # decides no code
            args[arg.name] = [type(arg.value).__name__, value, arg.resource]
        stages.append([stage.name, stage.kind.value, stage.target,
                       [[i.stage, i.index] for i in stage.inputs],
                       [[t.element_type, list(t.dimensions)] for t in stage.outputs], args])
    resources = [[r.name, r.type.value, r.inline, r.path] for r in runefile.resources.values()]
    tree = {"version": runefile.version, "image": runefile.image, "stages": stages,
            "resources": resources, "file": Path(runefile.path).name}
    return json.dumps(tree, sort_keys=True).encode()


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "code" / f"{key}.bin"


def store(cache_dir: Path | None, key: str | None, entry: Entry) -> bool:
    if cache_dir is None or key is None:
        return False
    meta = json.dumps({"key": key, "data": entry.data,
                       "manifest": to_json_value(entry.manifest)}, sort_keys=True).encode()
    return compile_cache.write_verified(_path(cache_dir, key),
                                        len(meta).to_bytes(4, "little") + meta + entry.obj)


def load(cache_dir: Path | None, key: str | None) -> Entry | None:
    """The entry under `key`, or None if there is none or it is damaged or not this key's."""
    if cache_dir is None or key is None:
        return None
    payload = compile_cache.read_verified(_path(cache_dir, key))
    if payload is None:
        return None
    try:
        size = int.from_bytes(payload[:4], "little")
        meta = json.loads(payload[4 : 4 + size])
        if meta["key"] != key:
            return None
        data = [(str(symbol), str(stage), str(kernel)) for symbol, stage, kernel in meta["data"]]
        return Entry(payload[4 + size :], data, decode(meta["manifest"], draft=True))
    except (ValueError, KeyError, TypeError, RuneLoadError):
        return None


def complete(entry: Entry, runefile: Runefile, emit: str, target: Target,
             timings: dict[str, float]) -> tuple[bytes, Manifest] | None:
    """The output and draft manifest for `runefile` from a cached pipeline object: its data
    tables built from this Runefile's values and linked beside the object; None when the entry
    does not fit it."""
    from rune.backend_wasm.data_object import DataArgument, data_object

    arguments = []
    for symbol, name, kernel in entry.data:
        stage = runefile.stages.get(name)
        if kernel not in DATA_ARGS or stage is None or \
                library_name(stage.target) != kernel or DATA_ARGS[kernel].arg not in stage.args:
            return None
        arguments.append(DataArgument(symbol, name, kernel,
                                      str(stage.args[DATA_ARGS[kernel].arg].value)))
    start = time.perf_counter()
    objects = [entry.obj, data_object(arguments, target)]
    timings["data tables"] = time.perf_counter() - start
    manifest = manifest_for(entry.manifest, runefile)
    return link_and_package(objects, emit, target, manifest, timings), manifest


def manifest_for(manifest: Manifest, runefile: Runefile) -> Manifest:
    """A cached draft manifest as irgen makes it for `runefile`: what it says about the
    Runefile's folder (the pipeline's name, each model's path) from this Runefile's."""
    models = tuple(replace(m, source=model_source(runefile, runefile.stages[m.name]))
                   if m.source is not None else m for m in manifest.models)
    return replace(manifest, name=pipeline_name(runefile), models=models)


def link_and_package(objects: list[bytes], emit: str, target: Target, manifest: Manifest,
                     timings: dict[str, float]) -> bytes:
    """wasm-ld over the objects (the pipeline's, then its data tables' if any), then for a
    rune the manifest and model blobs added."""
    start = time.perf_counter()
    try:
        wasm = link_wasm(objects, EXPORTS, target.stack_bytes)
    except LinkError as exc:
        raise error(str(exc)) from None
    timings["link"] = timings.get("link", 0.0) + time.perf_counter() - start
    if emit == "wasm":
        return wasm
    start = time.perf_counter()
    try:
        return package_rune(wasm, manifest)
    except PackageError as exc:
        raise error(str(exc)) from None
    finally:
        timings["package"] = timings.get("package", 0.0) + time.perf_counter() - start
