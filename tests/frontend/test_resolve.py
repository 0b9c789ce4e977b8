"""Proc-block references in every spelling the original accepted."""

from __future__ import annotations

import pytest
from rune.frontend.resolve import resolve
from rune.kernels.base import ProcBlockError


@pytest.mark.parametrize(
    "reference",
    ["hotg-ai/proc-blocks@v0.11.3#modulo", "hotg-ai/rune#proc_blocks/modulo",
     "hotg-ai/rune@v0.9.0#proc_blocks/modulo", "modulo", "MODULO", " modulo "],
)
def test_spellings_resolve_to_the_library_kernel(reference, tmp_path):
    resolved = resolve(reference, str(tmp_path))
    assert resolved.block.name == "modulo"


def test_unversioned_reference_warns(tmp_path):
    resolved = resolve("hotg-ai/proc-blocks#modulo", str(tmp_path))
    assert resolved.warning is not None and "has no version" in resolved.warning
    assert resolve("hotg-ai/proc-blocks@v0.11.3#modulo", str(tmp_path)).warning is None


def test_unknown_name_lists_close_matches(tmp_path):
    with pytest.raises(ProcBlockError, match="unknown proc block `modulus`; did you mean `modulo`"):
        resolve("hotg-ai/proc-blocks@v0.11.3#modulus", str(tmp_path))


def test_foreign_repository_is_named(tmp_path):
    with pytest.raises(ProcBlockError, match="comes from someone/blocks"):
        resolve("someone/blocks@v1#modulo", str(tmp_path))


def test_rust_crate_is_a_clear_error(tmp_path):
    crate = tmp_path / "identity"
    crate.mkdir()
    (crate / "Cargo.toml").write_text('[package]\nname = "identity"\n')
    with pytest.raises(ProcBlockError, match="is a Rust crate; .* does not compile Rust"):
        resolve("./identity", str(tmp_path))


def test_missing_local_path_is_named(tmp_path):
    with pytest.raises(ProcBlockError, match="does not exist"):
        resolve("./nowhere", str(tmp_path))
