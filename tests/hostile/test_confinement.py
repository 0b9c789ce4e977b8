"""Confinement: a Runefile makes runec read only regular files under its root (or an allowed
folder), and custom proc blocks (Python run at compile time) load only where allowed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from e2e_harness import EXAMPLES, assert_clean_failure, run_many
from rune.frontend.confine import Confinement, ConfinementError
from rune.frontend.diagnostics import DiagnosticError
from rune.tools.compiler import CompileOptions, compile_runefile

SINE_MODEL = EXAMPLES / "sine" / "sinemodel.tflite"
MODEL_LINE = 14  # the line of `model:` in RUNEFILE

RUNEFILE = """\
version: 1
image: runicos/base
resources:
  LABELS:
    path: {labels}
pipeline:
  x:
    capability: RAW
    outputs:
      - type: f32
        dimensions: [1, 1]
    args: {{length: 4}}
  sine:
    model: {model}
    inputs: [x]
    outputs:
      - type: f32
        dimensions: [1, 1]
  serial:
    out: serial
    inputs: [sine]
"""


def project(folder: Path, model: str = "./sine.tflite", labels: str = "./labels.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SINE_MODEL, folder / "sine.tflite")
    (folder / "labels.txt").write_text("a\nb\n")
    path = folder / "Runefile.yml"
    path.write_text(RUNEFILE.format(model=model, labels=labels))
    return path


def compile_error(path: Path, options: CompileOptions | None = None) -> tuple[str, int, int]:
    """The one error compiling `path` reports: message, line, column."""
    with pytest.raises(DiagnosticError) as info:
        compile_runefile(path, "ir", options)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.span is not None, diagnostic
    return diagnostic.message, diagnostic.span.line, diagnostic.span.column


@pytest.mark.parametrize(("model", "complaint"), [
    ("/etc/passwd", "`/etc/passwd` is an absolute path outside the compile root"),
    ("../../../../../../etc/shadow", "leaves the compile root through `..`"),
    ("/proc/self/environ", "is an absolute path outside the compile root"),
    ("/dev/zero", "is an absolute path outside the compile root"),
    ("./link.tflite", "leads outside the compile root through a symbolic link"),
])
def test_models_outside_the_root_are_refused_at_their_line(tmp_path: Path, model: str,
                                                           complaint: str):
    path = project(tmp_path / "p", model=model)
    (tmp_path / "p" / "link.tflite").symlink_to(SINE_MODEL)
    message, line, column = compile_error(path)
    assert complaint in message
    assert "--root or --allow-path" in message
    assert (line, column) == (MODEL_LINE, 12)


def test_resources_outside_the_root_are_refused_at_their_path(tmp_path: Path):
    path = project(tmp_path / "p", labels="../secret.txt")
    (tmp_path / "secret.txt").write_text("password\n")
    message, line, column = compile_error(path)
    assert message.startswith("`../secret.txt` leaves the compile root through `..`")
    assert (line, column) == (5, 11)


def test_devices_pseudo_files_and_fifos_are_refused_even_when_allowed(tmp_path: Path):
    options = CompileOptions(allow_paths=(Path("/dev"), Path("/proc")))
    zero = compile_error(project(tmp_path / "zero", model="/dev/zero"), options)
    assert zero == ("`/dev/zero` is a character device, not a regular file", MODEL_LINE, 12)
    environ = compile_error(project(tmp_path / "env", labels="/proc/self/environ"), options)
    assert "holds more than the 0 bytes it reports: a pseudo-file" in environ[0]
    fifo_project = project(tmp_path / "fifo", labels="./f")
    os.mkfifo(tmp_path / "fifo" / "f")
    fifo = compile_error(fifo_project, options)  # reading a FIFO would block forever
    assert fifo == ("`./f` is a FIFO, not a regular file", 5, 11)


def test_root_and_allowed_folders_widen_what_may_be_read(tmp_path: Path):
    shared = tmp_path / "models"
    shared.mkdir()
    shutil.copy(SINE_MODEL, shared / "sine.tflite")
    path = project(tmp_path / "app" / "sub", model="../../models/sine.tflite")
    assert "leaves the compile root" in compile_error(path)[0]
    for options in (CompileOptions(root=tmp_path), CompileOptions(allow_paths=(shared,))):
        assert isinstance(compile_runefile(path, "rune", options), bytes)


def test_every_file_read_is_size_checked(tmp_path: Path):
    path = project(tmp_path / "p")
    message, line, _ = compile_error(path, CompileOptions(max_file_size=1000))
    assert message == "`./sine.tflite` is larger than the 1000-byte limit on a file the " \
                      "compiler reads"
    assert line == MODEL_LINE


def test_a_file_read_never_returns_more_than_the_limit(tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 5000)
    confinement = Confinement.for_runefile(tmp_path / "Runefile.yml", max_file_size=4096)
    with pytest.raises(ConfinementError, match="larger than the 4096-byte limit"):
        confinement.read_bytes("big.bin")
    inside = Confinement.for_runefile(SINE_MODEL)
    assert inside.read_bytes(SINE_MODEL.name) == SINE_MODEL.read_bytes()


# --- custom proc blocks: Python that runs at compile time ------------------------------------

def _custom_project(folder: Path, reference: str) -> Path:
    folder.mkdir(parents=True)
    text = (EXAMPLES / "custom_block" / "Runefile.yml").read_text()
    path = folder / "Runefile.yml"
    path.write_text(text.replace("proc-block: ./clip.py", f"proc-block: {reference}"))
    return path


def test_custom_blocks_load_only_where_allowed(tmp_path: Path):
    clip = EXAMPLES / "custom_block" / "clip.py"
    outside = _custom_project(tmp_path / "outside", str(clip))
    message, line, _ = compile_error(outside)
    assert message.startswith(f"custom proc block `{clip}` is outside the compile root: custom "
                              "proc blocks are Python that runs at compile time")
    assert line == 19
    assert isinstance(compile_runefile(outside, "ir", CompileOptions(allow_custom_blocks=True)),
                      str)
    inside = EXAMPLES / "custom_block" / "Runefile.yml"
    assert isinstance(compile_runefile(inside, "ir"), str)
    refused = compile_error(inside, CompileOptions(allow_custom_blocks=False))
    assert "this compile forbids them (--no-custom-blocks)" in refused[0]


def test_a_custom_block_linked_from_outside_the_root_does_not_run(tmp_path: Path):
    evil = tmp_path / "evil.py"
    marker = tmp_path / "ran"
    evil.write_text(f"open({str(marker)!r}, 'w').close()\n")
    path = _custom_project(tmp_path / "p", "./clip.py")
    (tmp_path / "p" / "clip.py").symlink_to(evil)
    assert "is outside the compile root" in compile_error(path)[0]
    assert not marker.exists()


# --- the command line ------------------------------------------------------------------------

def test_runec_flags(tmp_path: Path):
    shared = tmp_path / "models"
    shared.mkdir()
    shutil.copy(SINE_MODEL, shared / "sine.tflite")
    path = project(tmp_path / "app", model="../models/sine.tflite")
    out = tmp_path / "out.rune"
    custom = EXAMPLES / "custom_block" / "Runefile.yml"
    refused, widened, rooted, no_custom, zero = run_many([
        ("runec", path, "-o", out),
        ("runec", path, "-o", tmp_path / "a.rune", "--allow-path", shared),
        ("runec", path, "-o", tmp_path / "b.rune", "--root", tmp_path),
        ("runec", custom, "--emit=ir", "--no-custom-blocks"),
        ("runec", "/dev/zero"),
    ])
    line = assert_clean_failure(refused)
    assert line.startswith(f"{path}:{MODEL_LINE}:12: error: `../models/sine.tflite` leaves the "
                           "compile root through `..`")
    assert not out.exists()
    for result in (widened, rooted):
        assert result.returncode == 0, result.explain()
    assert (tmp_path / "a.rune").read_bytes() == (tmp_path / "b.rune").read_bytes()
    assert "--no-custom-blocks" in assert_clean_failure(no_custom)
    assert assert_clean_failure(zero) == ("error: unable to read /dev/zero: `/dev/zero` is a "
                                          "character device, not a regular file")
