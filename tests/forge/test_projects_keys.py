"""Projects and keys over HTTP: hashed, scoped, revocable, shown once; problem details."""

from __future__ import annotations

import hashlib

from conftest import Deployment
from sqlalchemy import create_engine, text


def test_project_creation_returns_its_admin_key_once(forge: Deployment) -> None:
    admin, made = forge.project("keys-once")
    assert made["name"] == "keys-once" and len(made["public_key"]) == 64
    token = made["admin_key"]["key"]
    assert token.startswith("fk_") and made["admin_key"]["scopes"] == ["admin"]
    listed = admin.get("/v1/projects/keys-once/keys").json()
    assert [k["id"] for k in listed] == [made["admin_key"]["id"]]
    assert all("key" not in k for k in listed)  # never shown again
    # Stored hashed: the database holds the secret's sha256, not the secret.
    url = forge.database_url or f"sqlite:///{forge.data / 'forge.db'}"
    with create_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT secret_sha256 FROM api_keys WHERE key_id = :k"),
                              {"k": made["admin_key"]["id"]}).scalar_one()
        everything = " ".join(str(r) for r in conn.execute(text("SELECT * FROM api_keys")))
    secret = token.split("_", 2)[2]
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in everything


def test_scopes_revocation_and_isolation(forge: Deployment) -> None:
    admin, _ = forge.project("scoped")
    other_admin, _ = forge.project("scoped-other")
    fetch = admin.post("/v1/projects/scoped/keys", json={"scopes": ["fetch"], "name": "dev"})
    assert fetch.status_code == 201
    device = forge.api(fetch.json()["key"])
    assert device.get("/v1/projects/scoped").status_code == 200
    denied = device.get("/v1/projects/scoped/keys")
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["detail"] == "this API key lacks the 'admin' scope"
    # Another project's admin key does not see this project at all.
    hidden = other_admin.get("/v1/projects/scoped/keys")
    assert hidden.status_code == 404 and hidden.json()["title"] == "Not Found"
    # Revoked: 401 from then on; revoking twice is harmless.
    key_id = fetch.json()["id"]
    assert admin.delete(f"/v1/projects/scoped/keys/{key_id}").status_code == 204
    assert admin.delete(f"/v1/projects/scoped/keys/{key_id}").status_code == 204
    gone = device.get("/v1/projects/scoped")
    assert gone.status_code == 401 and gone.json()["detail"] == "this API key has been revoked"
    revoked = [k for k in admin.get("/v1/projects/scoped/keys").json() if k["id"] == key_id]
    assert revoked[0]["revoked_at"] is not None


def test_bad_requests_are_problem_details(forge: Deployment) -> None:
    root = forge.root
    for body, status in (({"name": "Bad Name!"}, 422), ({"nome": "x"}, 422), ([], 422)):
        response = root.post("/v1/projects", json=body)
        assert response.status_code == status
        problem = response.json()
        assert problem["status"] == status and problem["instance"] == "/v1/projects"
        assert response.headers["content-type"] == "application/problem+json"
    forge.project("twice")
    again = root.post("/v1/projects", json={"name": "twice"})
    assert again.status_code == 409
    assert again.json()["detail"] == "a project named 'twice' already exists"
    assert forge.api("nonsense").get("/v1/projects").status_code == 401
    assert forge.api("fk_0000_nothing").get("/v1/projects").status_code == 401
    broken = root.post("/v1/projects", content=b"{not json",
                       headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "Traceback" not in broken.text
    # A project key cannot create projects: that needs a server key.
    admin, _ = forge.project("not-server")
    assert admin.post("/v1/projects", json={"name": "x"}).status_code == 403


def test_project_settings(forge: Deployment) -> None:
    admin, _ = forge.project("settings")
    assert admin.get("/v1/projects/settings").json()["allow_custom_blocks"] is False
    changed = admin.patch("/v1/projects/settings", json={"allow_custom_blocks": True})
    assert changed.status_code == 200 and changed.json()["allow_custom_blocks"] is True
    assert admin.get("/v1/projects/settings").json()["allow_custom_blocks"] is True
