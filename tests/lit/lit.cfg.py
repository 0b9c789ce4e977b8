# lit configuration for Rune's FileCheck tests: printed IR at every stage, in xDSL's style.
#
# Run from the repository root:  .venv/bin/lit -q tests/lit   (or `make lit`)
#
# Substitutions:
#   %peer      the peer suite (../shared/peer-suite beside the checkout, as in CI)
#   %examples  the repository's examples/ directory
# The tools (runec, rune, rune-opt, filecheck) are the scripts beside the interpreter running lit.
# ruff: noqa: F821 - lit provides `config`

import os
import sys
from pathlib import Path

import lit.formats

config.name = "rune"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".yml"]
config.excludes = ["lit.cfg.py", "Inputs"]

here = Path(__file__).resolve().parent
repo = here.parents[1]
config.test_source_root = str(here)
# Scratch files (%t, Output/) go under build/, which git ignores, not beside the tests.
config.test_exec_root = str(repo / "build" / "lit")

# Do not resolve symlinks: a venv's python links to the base interpreter, whose directory has
# none of our tools.
bindir = os.path.dirname(os.path.abspath(sys.executable))
config.environment["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
# The project is installed (editable) into that interpreter; pass PYTHONPATH on if one is set.
for name in ("PYTHONPATH", "HOME", "TMPDIR", "LANG", "LC_ALL"):
    if name in os.environ:
        config.environment[name] = os.environ[name]

# runec compiles for real in every test: never from (or into) the user's compile cache.
config.environment["RUNE_COMPILE_CACHE"] = "off"

config.substitutions.append(("%peer", str((repo.parent / "shared" / "peer-suite").resolve())))
config.substitutions.append(("%examples", str(repo / "examples")))
