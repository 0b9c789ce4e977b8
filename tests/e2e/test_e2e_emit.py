"""`runec --emit=...`, -O levels, IR round trips, --print-ir-after-all and reproducible output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import wasmtime
from e2e_harness import (
    EXAMPLES,
    Result,
    assert_outputs_match,
    ir_dump_names,
    peer_expected,
    run_many,
    run_outputs,
    run_tool,
    wasm_sections,
)
from rune.passes.registry import default_pipeline
from rune.tools.compiler import EMIT_KINDS, parse_ir

# Each compile here names its level (-O2 for the emit kinds, each level for the -O tests) or its
# pass pipeline, or stops before the passes; the one that does not (the default output name)
# checks only the file's name. $RUNE_OPT_LEVEL cannot change any of it: `make test`'s -O0 pass
# leaves the module to the -O2 pass.
pytestmark = pytest.mark.fixed_opt_level

RUNEFILES = Path(__file__).resolve().parent / "runefiles"
OPT_LEVELS = ("0", "1", "2", "3", "s")
IMPORTS = {"capability_read", "model_set_input", "model_invoke", "model_get_output",
           "output_write", "log"}


@pytest.fixture(scope="module")
def sine(peer: Path) -> Path:
    return peer / "run-pass" / "sine"


@pytest.fixture(scope="module")
def emitted_results(sine: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[dict[str, Result], dict[str, bytes]]:
    """Every --emit kind for the peer sine case at -O2, each written with -o. (-O2 is the
    wasm32 default, but $RUNE_OPT_LEVEL may change the default for a whole test run.)"""
    out = tmp_path_factory.mktemp("emit")
    results = run_many(
        ("runec", sine / "Runefile.yml", "-O2", f"--emit={kind}", "-o", out / f"sine.{kind}")
        for kind in EMIT_KINDS
    )
    for result in results:
        assert result.returncode == 0, result.explain()
    return (dict(zip(EMIT_KINDS, results, strict=True)),
            {kind: (out / f"sine.{kind}").read_bytes() for kind in EMIT_KINDS})


@pytest.fixture(scope="module")
def emitted(emitted_results: tuple[dict[str, Result], dict[str, bytes]]) -> dict[str, bytes]:
    return emitted_results[1]


def test_every_emit_kind_is_tested() -> None:
    assert EMIT_KINDS == ("ast", "ir", "llvm-dialect", "llvm", "asm", "obj", "wasm", "rune")


def test_emit_ast(emitted: dict[str, bytes], sine: Path) -> None:
    text = emitted["ast"].decode()
    at = f"{sine / 'Runefile.yml'}"
    assert text.startswith("Runefile version=1 image='runicos/base'\n")
    assert f"  capability rand ({at}:4:3) target='RAW'\n" in text
    assert f"  proc-block mod360 ({at}:13:3) target='hotg-ai/proc-blocks@v0.11.3#modulo'" in text
    assert "    input rand.0\n" in text
    assert "    arg modulus = 360.0\n" in text
    assert f"  model sine ({at}:24:3) target='./sinemodel.tflite'\n" in text
    assert f"  out serial ({at}:33:3) target='serial'\n" in text
    assert text.count("output f32[1, 1]") == 3


def test_emit_ir(emitted: dict[str, bytes], sine: Path) -> None:
    text = emitted["ir"].decode()
    assert text.startswith("builtin.module {\n  rune.pipeline @sine image \"runicos/base\" {\n")
    assert ('%0 = rune.capability "rand" kind "RAW" args {length = 4 : i64} : tensor<1x1xf32>'
            in text)
    assert ('rune.proc_block "mod360" kernel "modulo" args {modulus = 3.600000e+02 : f64}(%0)'
            in text)
    model = (sine / "sinemodel.tflite").resolve()
    assert f'rune.model "sine" format "tensorflow-lite" source "{model}"(%1)' in text
    assert 'rune.output "serial" kind "serial" args {}(%2) : (tensor<1x1xf32>)' in text
    for lowered in ("llvm.", "func.func", "memref.", "scf."):
        assert lowered not in text


def test_emit_llvm_dialect(emitted: dict[str, bytes]) -> None:
    text = emitted["llvm-dialect"].decode()
    assert text.startswith(
        "builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1,")
    assert "llvm.func @rune_run() -> i32 {" in text
    assert "llvm.func internal @kernel.0.mod360(" in text
    assert "llvm.mlir.global internal @rune.arena()" in text  # every tensor lives in the arena
    for leftover in ("rune.pipeline", "func.func", "memref.", "scf.", "cf.", "arith."):
        assert leftover not in text, leftover


def test_emit_llvm(emitted: dict[str, bytes]) -> None:
    text = emitted["llvm"].decode()
    assert 'target triple = "wasm32-unknown-unknown"' in text
    assert "define i32 @rune_run()" in text
    for name in ("capability_read", "model_set_input", "model_invoke", "model_get_output",
                 "output_write"):
        assert f'"wasm-import-module"="rune" "wasm-import-name"="{name}"' in text
        assert f"declare i32 @rune_{name}(" in text
    # -O2 inlines the only kernel into rune_run
    assert "@kernel." not in text


def test_emit_asm(emitted: dict[str, bytes]) -> None:
    text = emitted["asm"].decode()
    assert ".globl\trune_run" in text
    assert ".functype\trune_run () -> (i32)" in text
    assert "\nrune_run:\n" in text
    assert ".import_module\trune_capability_read, rune" in text
    assert ".import_name\trune_capability_read, capability_read" in text


def test_emit_obj(emitted: dict[str, bytes]) -> None:
    """A relocatable wasm object: a `linking` section, no manifest yet."""
    obj = emitted["obj"]
    names = [name for _, name, _ in wasm_sections(obj)]
    assert "linking" in names
    assert "rune.manifest" not in names and "rune.blobs" not in names
    assert b"rune_run" in obj and b"capability_read" in obj


def test_emit_wasm(emitted: dict[str, bytes]) -> None:
    wasm = emitted["wasm"]
    names = [name for _, name, _ in wasm_sections(wasm)]
    assert "linking" not in names and "rune.manifest" not in names
    module = wasmtime.Module(wasmtime.Engine(), wasm)
    exports = {e.name: e.type for e in module.exports}
    assert set(exports) == {"memory", "rune_run"}
    run = exports["rune_run"]
    assert isinstance(run, wasmtime.FuncType)
    assert [str(t) for t in run.params] == [] and [str(t) for t in run.results] == ["i32"]
    imports = {(i.module, i.name) for i in module.imports}
    assert {m for m, _ in imports} == {"rune"}
    assert {n for _, n in imports} <= IMPORTS
    assert {n for _, n in imports} >= {"capability_read", "model_invoke", "output_write"}


def test_emit_rune(emitted: dict[str, bytes], sine: Path) -> None:
    """The rune is the linked wasm plus the manifest and blob custom sections (docs/abi.md)."""
    rune, wasm = emitted["rune"], emitted["wasm"]
    assert rune.startswith(wasm)
    sections = wasm_sections(rune)
    assert [name for _, name, _ in sections[-2:]] == ["rune.manifest", "rune.blobs"]
    model = (sine / "sinemodel.tflite").read_bytes()
    assert rune.endswith(model)


def test_text_emits_write_the_same_bytes_to_a_file_and_to_stdout(
    sine: Path, emitted: dict[str, bytes]
) -> None:
    """`runec --emit=ir -o f` and `runec --emit=ir > f` must make the same file, ending in a
    newline like every other text emit (ast, llvm, asm) and like `rune-opt -o`."""
    result = run_tool("runec", sine / "Runefile.yml", "-O2", "--emit=ir")
    assert result.returncode == 0, result.explain()
    assert result.stdout_bytes.endswith(b"\n")
    for kind in ("ast", "llvm", "asm"):
        assert emitted[kind].endswith(b"\n"), kind
    assert emitted["ir"] == result.stdout_bytes


def test_default_output_name(peer: Path, tmp_path: Path) -> None:
    """Without -o a rune is named after its Runefile's directory, in the working directory."""
    result = run_tool("runec", peer / "run-pass" / "noop" / "Runefile.yml", cwd=tmp_path)
    assert result.returncode == 0, result.explain()
    assert [p.name for p in tmp_path.iterdir()] == ["noop.rune"]
    assert (tmp_path / "noop.rune").read_bytes()[:4] == b"\0asm"


# ---------------------------------------------------------------------------------------------
# -O levels


@pytest.fixture(scope="module")
def opt_runes(sine: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("opt")
    runes = {level: out / f"sine-O{level}.rune" for level in OPT_LEVELS}
    results = run_many(("runec", sine / "Runefile.yml", f"-O{level}", "-o", runes[level])
                       for level in OPT_LEVELS)
    for result in results:
        assert result.returncode == 0, result.explain()
    return runes


@pytest.mark.parametrize("level", OPT_LEVELS)
def test_every_opt_level_gives_the_same_sine(level: str, opt_runes: dict[str, Path],
                                             sine: Path) -> None:
    result = run_tool("rune", "run", opt_runes[level], "--raw", sine / "input.bin")
    assert_outputs_match(run_outputs(result), peer_expected(sine / "expected.stdout"))
    assert run_outputs(result)[0]["tensors"][0]["elements"] == [0.69727874]


def test_opt_levels_change_the_code(sine: Path) -> None:
    """-O0 keeps the kernel a separate function; -Os marks functions optsize."""
    o0, o2, os_ = run_many(("runec", sine / "Runefile.yml", "--emit=llvm", f"-O{level}")
                           for level in ("0", "2", "s"))
    for result in (o0, o2, os_):
        assert result.returncode == 0, result.explain()
    assert "define internal void @kernel.0.mod360(" in o0.stdout
    assert "@kernel." not in o2.stdout
    assert "optsize" in os_.stdout and "optsize" not in o2.stdout


# ---------------------------------------------------------------------------------------------
# IR round trips through rune-opt


ROUND_TRIP_STAGES = {
    "ir": ("--emit=ir",),
    "lower-pipeline": ("--emit=llvm-dialect", "--passes=check-types,lower-pipeline"),
    "default-O2": ("--emit=llvm-dialect", "-O2"),
    "default-O0": ("--emit=llvm-dialect", "-O0"),
}
# modulo-i32's kernel loops over six elements (sine's over one); its frontend IR is no different
ROUND_TRIP_RUNEFILES = {
    "examples/sine": EXAMPLES / "sine" / "Runefile.yml",
    "modulo-i32": RUNEFILES / "modulo-i32" / "Runefile.yml",
}
ROUND_TRIPS = [(r, s) for r in ROUND_TRIP_RUNEFILES for s in ROUND_TRIP_STAGES
               if (r, s) != ("modulo-i32", "ir")]


@pytest.fixture(scope="module")
def round_trips() -> dict[tuple[str, str], tuple[Result, Result]]:
    """(runefile, stage) -> (runec printing that stage, rune-opt parsing and printing it)."""
    printed = run_many(("runec", ROUND_TRIP_RUNEFILES[r], *ROUND_TRIP_STAGES[s])
                       for r, s in ROUND_TRIPS)
    for result in printed:
        assert result.returncode == 0, result.explain()
        assert result.stdout.startswith("builtin.module")
    parsed = run_many(("rune-opt", None, None, p.stdout_bytes) for p in printed)
    return dict(zip(ROUND_TRIPS, zip(printed, parsed, strict=True), strict=True))


@pytest.mark.parametrize(("runefile", "stage"), ROUND_TRIPS,
                         ids=[f"{r}-{s}" for r, s in ROUND_TRIPS])
def test_ir_round_trips_through_rune_opt(
    runefile: str, stage: str, round_trips: dict[tuple[str, str], tuple[Result, Result]]
) -> None:
    """Printed IR of every stage parses back (rune-opt, no passes) to the very same text."""
    printed, parsed = round_trips[runefile, stage]
    assert parsed.returncode == 0, parsed.explain()
    assert parsed.stdout == printed.stdout


def split_pipeline(pipeline: str) -> list[str]:
    """`a{x=1,y=2},b` -> [`a{x=1,y=2}`, `b`]."""
    return re.split(r",(?![^{]*\})", pipeline)


def pass_names(pipeline: str) -> list[str]:
    """The pass names of a textual pipeline, options dropped: `a{x=1},b` -> [a, b]."""
    return [re.sub(r"\{.*\}$", "", p) for p in split_pipeline(pipeline)]


def test_lowered_ir_replays_into_the_same_rune(sine: Path, emitted: dict[str, bytes]) -> None:
    """IR captured after lower-pipeline and finished by rune-opt is the default pipeline's IR."""
    passes = split_pipeline(default_pipeline("2"))
    cut = pass_names(default_pipeline("2")).index("lower-pipeline") + 1
    lowered = run_tool("runec", sine / "Runefile.yml", "-O2", "--emit=llvm-dialect",
                       f"--passes={','.join(passes[:cut])}")
    assert lowered.returncode == 0, lowered.explain()
    finished = run_tool("rune-opt", f"--passes={','.join(passes[cut:])}",
                        stdin=lowered.stdout_bytes)
    assert finished.returncode == 0, finished.explain()
    assert finished.stdout == emitted["llvm-dialect"].decode().rstrip("\n") + "\n"


def test_rune_opt_finishes_a_lowered_loop() -> None:
    """rune-opt takes modulo-i32 from lower-pipeline to the llvm dialect: the kernel's six-step
    loop becomes blocks whose induction variable is an i32 throughout."""
    lowered = run_tool("runec", RUNEFILES / "modulo-i32" / "Runefile.yml", "--emit=llvm-dialect",
                       "--passes=check-types,lower-pipeline")
    assert lowered.returncode == 0, lowered.explain()
    assert "scf.for" in lowered.stdout
    finished = run_tool("rune-opt", "--passes=convert-scf-to-cf,convert-to-llvm",
                        stdin=lowered.stdout_bytes)
    assert "Traceback" not in finished.stderr, finished.explain()
    assert finished.returncode == 0, finished.explain()
    assert "scf.for" not in finished.stdout
    assert ": index" not in finished.stdout and "index)" not in finished.stdout  # all i32 now
    assert re.search(r"llvm\.br \^bb\d+\(%\w+ : i32\)", finished.stdout), finished.stdout
    assert str(parse_ir(finished.stdout)) + "\n" == finished.stdout


@pytest.mark.parametrize(
    ("runefile", "level"),
    [("modulo-i32", "2"), ("examples/sine", "0")],
    ids=["modulo-i32-O2", "sine-O0"],
)
def test_verify_each(runefile: str, level: str, tmp_path: Path) -> None:
    """Every pass of the default pipeline leaves IR that verifies (kernels with real loops too)."""
    result = run_tool("runec", ROUND_TRIP_RUNEFILES[runefile], "--verify-each", f"-O{level}",
                      "-o", tmp_path / "out.rune")
    assert result.returncode == 0, result.explain()
    assert (tmp_path / "out.rune").read_bytes()[:4] == b"\0asm"


# ---------------------------------------------------------------------------------------------
# --print-ir-after-all


@pytest.mark.parametrize("level", ["2", "0"])
def test_print_ir_after_all(sine: Path, tmp_path: Path, level: str) -> None:
    result = run_tool("runec", sine / "Runefile.yml", "--print-ir-after-all", f"-O{level}",
                      "-o", tmp_path / "sine.rune")
    assert result.returncode == 0, result.explain()
    expected = pass_names(default_pipeline(level))
    assert ir_dump_names(result.stderr) == expected
    assert len(set(expected)) == len(expected) and "lower-pipeline" in expected
    dumps = result.stderr.split("// -----// IR Dump After ")[1:]
    assert len(dumps) == len(expected)
    after: dict[str, str] = {}
    for name, dump in zip(expected, dumps, strict=True):
        body = dump.split(" //----- //\n", 1)[1].rstrip("\n")
        # each dump is the module as rune-opt would print it, so it can be replayed
        assert body.startswith("builtin.module"), (name, body[:200])
        assert str(parse_ir(body, name)) == body, name
        after[name] = body
    assert "rune.pipeline @sine" in after["check-types"]
    assert "rune.pipeline" not in after["lower-pipeline"]
    assert "scf.for" in after["lower-pipeline"]
    assert "scf.for" not in after["convert-scf-to-cf"]
    assert "cf.cond_br" in after["convert-scf-to-cf"]
    assert "llvm.func @rune_run" in after["convert-to-llvm"]
    assert (tmp_path / "sine.rune").read_bytes()[:4] == b"\0asm"


def test_nothing_on_stderr_without_the_flag(
    emitted_results: tuple[dict[str, Result], dict[str, bytes]]
) -> None:
    for result in emitted_results[0].values():
        assert result.stderr == "", result.explain()


# ---------------------------------------------------------------------------------------------
# reproducibility


def test_compiling_twice_gives_identical_bytes(sine: Path, tmp_path: Path,
                                               emitted: dict[str, bytes]) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = run_tool("runec", sine / "Runefile.yml", "-O2", "-o", tmp_path / "again.rune",
                      cwd=elsewhere)
    assert result.returncode == 0, result.explain()
    assert (tmp_path / "again.rune").read_bytes() == emitted["rune"]


def test_rune_does_not_depend_on_where_the_project_lives(sine: Path, tmp_path: Path,
                                                         emitted: dict[str, bytes]) -> None:
    """The same Runefile and model in another place (same directory name) give the same rune:
    no absolute path leaks into it."""
    copy = tmp_path / "somewhere" / "else" / "sine"
    shutil.copytree(sine, copy)
    result = run_tool("runec", copy / "Runefile.yml", "-O2", "-o", tmp_path / "copy.rune")
    assert result.returncode == 0, result.explain()
    assert (tmp_path / "copy.rune").read_bytes() == emitted["rune"]
    assert str(sine).encode() not in emitted["rune"]


def test_inspect_json_is_the_manifest(emitted: dict[str, bytes], tmp_path: Path) -> None:
    rune = tmp_path / "sine.rune"
    rune.write_bytes(emitted["rune"])
    manifest = json.loads(run_tool("rune", "inspect", "--json", rune).stdout)
    assert manifest["abi_version"] == 1 and manifest["name"] == "sine"
    assert [s["name"] for s in manifest["stages"]] == ["rand", "mod360", "sine", "serial"]
    assert [s["kind"] for s in manifest["stages"]] == ["capability", "proc-block", "model", "out"]
    assert manifest["capabilities"][0]["args"] == {"length": 4}
    assert manifest["models"][0]["blob"] == {"offset": 0, "length": 2640}
    arena = manifest["memory"]["arena_bytes"]
    assert isinstance(arena, int) and arena >= 4  # at least the largest tensor, f32[1,1]
    for slot in manifest["memory"].get("tensors", []):
        assert 0 <= slot["offset"] and slot["offset"] + slot["bytes"] <= arena
    assert "source" not in manifest["models"][0]
    assert b'"abi_version":1' in emitted["rune"]
