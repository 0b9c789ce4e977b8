"""Every route of the OpenAPI document, driven from the checked-in spec so that a new route
cannot skip it: project A's key gets 403/404 on project B's objects, a revoked key 401, no key
401, a key without the route's `x-required-scope` 403, and B's own admin key gets through."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from conftest import Deployment
from forgekit import MICROSPEECH, REPO, ForgeWorker, wait_until

SPEC = json.loads((REPO / "docs" / "forge.openapi.json").read_text())
PUBLIC = {("get", "/v1/health")}
ROUTES = [(method, path) for path, ops in SPEC["paths"].items() for method in ops
          if (method, path) not in PUBLIC]
SCOPES = {"admin", "deploy", "fetch", "telemetry"}
SINE = MICROSPEECH.parent / "sine"


def _event() -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "device_id": "d", "kind": "inference", "ts": time.time(),
            "total_ms": 1.0}


# A valid body for every request schema the API has; a route with a new schema fails here
# until it is added.
JSON_BODIES = {
    "ProjectCreate": lambda: {"name": f"p{uuid.uuid4().hex[:8]}"},
    "ProjectUpdate": lambda: {"allow_custom_blocks": False},
    "KeyCreate": lambda: {"scopes": ["fetch"]},
    "ChannelSet": lambda: {"version": 1},
    "Promote": lambda: {"source": "production"},
    "Rollback": lambda: {"steps": 1},
    "EventBatch": lambda: {"events": [_event()]},
}


def _request_kwargs(op: dict[str, Any]) -> dict[str, Any]:
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert name in JSON_BODIES, f"add a valid {name} body to JSON_BODIES"
        return {"json": JSON_BODIES[name]()}
    if "multipart/form-data" in content:
        return {"files": [("files", (p.name, p.read_bytes())) for p in sorted(SINE.iterdir())]}
    assert not content, f"unknown request body type {list(content)}"
    return {}


@pytest.fixture(scope="module")
def world(forge: Deployment, worker: ForgeWorker) -> dict[str, Any]:
    """Projects A and B; B has a build, a version, a channel, a key and telemetry."""
    a_admin, a = forge.project("a-proj")
    b_admin, b = forge.project("b-proj")
    files = [("files", (p.name, p.read_bytes())) for p in sorted(SINE.iterdir())]
    build = b_admin.post("/v1/projects/b-proj/builds", files=files).json()
    url = f"/v1/projects/b-proj/builds/{build['id']}"
    wait_until(lambda: b_admin.get(url).json()["status"] == "succeeded", 300, "B's build")
    assert b_admin.put("/v1/projects/b-proj/channels/production",
                       json={"version": 1}).status_code == 200
    victim = b_admin.post("/v1/projects/b-proj/keys", json={"scopes": ["fetch"]}).json()
    revoked = b_admin.post("/v1/projects/b-proj/keys", json={"scopes": sorted(SCOPES)}).json()
    assert b_admin.delete(f"/v1/projects/b-proj/keys/{revoked['id']}").status_code == 204
    lacking = {scope: b_admin.post("/v1/projects/b-proj/keys",
                                   json={"scopes": sorted(SCOPES - {scope, "admin"})}
                                   ).json()["key"] for scope in SCOPES}
    return {"a": a["admin_key"]["key"], "b": b["admin_key"]["key"], "revoked": revoked["key"],
            "lacking": lacking,
            "params": {"project": "b-proj", "build_id": build["id"], "number": 1,
                       "channel": "production", "ref": "production", "key_id": victim["id"],
                       "template": "microspeech"}}


def test_the_spec_covers_every_route() -> None:
    assert len(ROUTES) >= 20
    for method, path in ROUTES:
        assert "x-required-scope" in SPEC["paths"][path][method], (method, path)
        assert SPEC["paths"][path][method]["x-required-scope"] in SCOPES


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m.upper()} {p}" for m, p in ROUTES])
def test_route_keeps_projects_and_scopes_apart(forge: Deployment, world: dict[str, Any],
                                               method: str, path: str) -> None:
    op = SPEC["paths"][path][method]
    url = path.format(**world["params"])

    def call(key: str | None) -> int:
        response = forge.api(key).request(method.upper(), url, **_request_kwargs(op))
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        return response.status_code

    assert call(None) == 401
    assert call(world["revoked"]) == 401
    assert call(world["lacking"][op["x-required-scope"]]) == 403
    if "{project}" in path:
        assert call(world["a"]) in (403, 404)
    else:
        # listing shows only A's own; creating needs a server key
        assert call(world["a"]) in (200, 403)
    owner = forge.server.server_key if (method, path) == ("post", "/v1/projects") else world["b"]
    assert call(owner) in (200, 201, 202, 204, 409)


def test_a_key_lists_only_its_own_project(forge: Deployment, world: dict[str, Any]) -> None:
    names = [p["name"] for p in forge.api(world["a"]).get("/v1/projects").json()]
    assert names == ["a-proj"]


def test_uploads_are_size_limited(forge: Deployment, world: dict[str, Any]) -> None:
    from forgekit import ForgeServer

    small = ForgeServer(forge.data, forge.database_url, extra=("--max-upload-mb", "0.01"))
    small.start()
    try:
        api = forge.api(world["b"])
        api.http.base_url = small.url
        big = api.post("/v1/projects/b-proj/builds",
                       files=[("files", ("Runefile.yml", b"x" * 20000))])
        assert big.status_code == 413 and big.json()["title"] == "Content Too Large"
        chunked = api.post("/v1/projects/b-proj/telemetry", content=iter([b"{" * 8000] * 3),
                           headers={"content-type": "application/json"})
        assert chunked.status_code == 413
    finally:
        small.stop()
