"""The server routes the studio uses, over HTTP against a real `forge serve`: the catalog is the
compiler's kernel library, check and compile give the compiler's own results (located
diagnostics; IR after each pass; the memory plan runec reports), hostile uploads are refused,
and the built studio is served at / without shadowing the API."""

from __future__ import annotations

import base64

import pytest
from conftest import REPO, StudioServer
from forgekit import Api
from rune.abi.manifest import to_json_value
from rune.forge.server.catalog import LIBRARY
from rune.passes.registry import default_pipeline, parse_pipeline
from rune.tools.compiler import CompileOptions, compile_runefile

MICROSPEECH = REPO / "examples" / "microspeech"


@pytest.fixture(scope="module")
def api(studio_server: StudioServer) -> Api:
    return Api(studio_server.server.url, studio_server.admin_key)


def _files(folder, **replace: bytes) -> list:
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    files.update(replace)
    return [("files", (name, data)) for name, data in files.items()]


def test_catalog_is_the_kernel_library(api: Api) -> None:
    catalog = api.get("/v1/catalog").json()
    names = [k["name"] for k in catalog["kernels"]]
    assert names == sorted(LIBRARY) and len(names) >= 30
    label = next(k for k in catalog["kernels"] if k["name"] == "label")
    assert label["args"][0]["name"] == "wordlist" and label["args"][0]["required"]
    affine = next(k for k in catalog["kernels"] if k["name"] == "affine")
    assert {a["name"]: a["default"] for a in affine["args"]} == {"scale": 1.0, "offset": 0.0}
    assert affine["elementwise"] and "f32" in affine["element_types"]
    assert "SOUND" in catalog["capabilities"] and catalog["outputs"] == ["serial"]
    assert "utf8" in catalog["element_types"]


def test_templates_are_the_examples(api: Api) -> None:
    names = [t["name"] for t in api.get("/v1/templates").json()]
    assert "microspeech" in names and "sine" in names
    files = api.get("/v1/templates/microspeech").json()["files"]
    assert base64.b64decode(files["model.tflite"]) == (MICROSPEECH / "model.tflite").read_bytes()
    assert api.get("/v1/templates/nothing").status_code == 404


def test_check_locates_the_error(api: Api) -> None:
    text = (MICROSPEECH / "Runefile.yml").read_text()
    assert api.post("/v1/projects/speech/studio/check", files=_files(MICROSPEECH)).json() == {
        "ok": True, "diagnostics": []}
    broken = text.replace("#most_confident_indices", "#most_confident_indexes")
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "indexes" in x)) + 1
    report = api.post("/v1/projects/speech/studio/check",
                      files=_files(MICROSPEECH, **{"Runefile.yml": broken.encode()})).json()
    assert not report["ok"]
    (diagnostic,) = report["diagnostics"]
    assert diagnostic["location"]["file"] == "Runefile.yml"
    assert diagnostic["location"]["line"] == line
    assert "most_confident_indexes" in diagnostic["message"]


def test_compile_reports_what_runec_does(api: Api) -> None:
    report = api.post("/v1/projects/speech/studio/compile", files=_files(MICROSPEECH),
                      data={"opt_level": "2"}).json()
    assert report["ok"], report["diagnostics"]
    expected = [p.name for p in parse_pipeline(default_pipeline("2")).passes]
    assert [p["pass"] for p in report["passes"]] == expected
    assert all(p["ir"].startswith("builtin.module") for p in report["passes"])
    assert all("/tmp/" not in p["ir"] for p in report["passes"])
    assert 'source "model.tflite"' in report["passes"][0]["ir"]
    options = CompileOptions(opt_level="2")
    runec = compile_runefile(MICROSPEECH / "Runefile.yml", "rune", options)
    assert options.manifest is not None
    assert report["memory"] == to_json_value(options.manifest.memory)
    assert report["fusion_groups"] == []
    assert report["manifest"]["models"][0]["source"] == "model.tflite"
    # The same compiler, but the rune is named after the folder (here the project's name).
    assert len(base64.b64decode(report["rune_base64"])) == pytest.approx(len(runec), abs=64)


def test_hostile_uploads_are_refused(api: Api) -> None:
    custom = REPO / "examples" / "custom_block"
    report = api.post("/v1/projects/speech/studio/check", files=_files(custom)).json()
    assert not report["ok"] and "custom" in report["diagnostics"][0]["message"].lower()
    text = (MICROSPEECH / "Runefile.yml").read_text().replace("./model.tflite", "/etc/passwd")
    report = api.post("/v1/projects/speech/studio/check",
                      files=_files(MICROSPEECH, **{"Runefile.yml": text.encode()})).json()
    assert not report["ok"] and report["diagnostics"][0]["location"]["line"] > 0
    bad = api.post("/v1/projects/speech/studio/check",
                   files=[("files", ("../Runefile.yml", b"version: 1"))])
    assert bad.status_code == 400
    model = api.post("/v1/projects/speech/studio/model",
                     files=[("files", ("junk.tflite", b"\x00" * 64))]).json()
    assert not model["ok"] and model["diagnostics"][0]["message"]


def test_model_tensors_are_read_from_the_file(api: Api) -> None:
    report = api.post("/v1/projects/speech/studio/model", files=[
        ("files", ("model.tflite", (MICROSPEECH / "model.tflite").read_bytes()))]).json()
    assert report["ok"]
    assert [(t["element_type"], t["shape"]) for t in report["model"]["inputs"]] == [
        ("i8", [1, 1960])]
    assert [(t["element_type"], t["shape"]) for t in report["model"]["outputs"]] == [
        ("i8", [1, 6])]


def test_the_studio_is_served_beside_the_api(studio_server: StudioServer) -> None:
    http = Api(studio_server.server.url, None)
    index = (REPO / "studio" / "dist" / "index.html").read_text()
    assert http.get("/").text == index
    assert http.get("/deploy/some/view").text == index  # the single-page app's fallback
    assert http.get("/%2e%2e/%2e%2e/etc/passwd").text == index
    missing = http.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert http.get("/v1/health").json()["status"] == "ok"
