"""The import table is the one source for every signature: the documented, wasm, wasm3 and C
forms all come from it."""

from __future__ import annotations

from pathlib import Path

from rune.abi.imports import (
    IMPORT_NAMES,
    IMPORTS,
    IMPORTS_BY_NAME,
    PIPELINE_IMPORTS,
    Status,
    markdown_table,
)
from rune.abi.schema import imports_text


def test_table_in_documentation_order() -> None:
    assert IMPORT_NAMES == ("capability_read", "model_set_input", "model_invoke",
                            "model_get_output", "output_write", "log", "probe")
    assert [i.name for i in PIPELINE_IMPORTS] == list(IMPORT_NAMES[:5])


def test_every_form_of_a_signature() -> None:
    read = IMPORTS_BY_NAME["capability_read"]
    assert read.signature() == "(capability: i32, ptr: i32, len: i32) -> i32"
    assert read.wasm3_signature == "i(iii)" and read.wasm_results == ("i32",)
    assert read.c_declaration() == (
        "int32_t rune_capability_read(int32_t capability, uint8_t *dest, int32_t len);"
    )
    log = IMPORTS_BY_NAME["log"]
    assert log.wasm3_signature == "v(iii)" and log.wasm_results == () and not log.native_hook
    probe = IMPORTS_BY_NAME["probe"]  # declared only by insert-stage-probes (runec --profile)
    assert probe.wasm3_signature == "v(i)" and not probe.native_hook
    assert IMPORTS_BY_NAME["model_invoke"].c_declaration().endswith(
        "(int32_t model); /* e.g. TFLite Micro's Invoke() */"
    )


def test_status_codes() -> None:
    assert [int(s) for s in Status] == [0, 1, 2, 3, 4, 5]
    assert {i.name: i.failure for i in IMPORTS} == {
        "capability_read": Status.CAPABILITY, "model_set_input": Status.MODEL,
        "model_invoke": Status.MODEL, "model_get_output": Status.MODEL,
        "output_write": Status.OUTPUT, "log": Status.INTERNAL, "probe": Status.INTERNAL,
    }  # fmt: skip


def test_documented_forms_are_current() -> None:
    """docs/abi.md's import table and docs/abi-imports.json are generated (`make schema`)."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    assert markdown_table() in (docs / "abi.md").read_text(encoding="utf-8")
    assert (docs / "abi-imports.json").read_text(encoding="utf-8") == imports_text()
