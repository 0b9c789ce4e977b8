"""Projects and their keys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response, status
from fastapi import Path as FastPath
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import keys, signing
from ..deps import AdminAuth, FetchAuth, ScopedRoute, SealingKeyDep, ServerAuth, SessionDep
from ..keys import Scope
from ..models import ApiKey, Project
from ..problems import ProblemError
from ..schemas import (
    KeyCreate,
    KeyMinted,
    KeyOut,
    ProjectCreate,
    ProjectCreated,
    ProjectOut,
    ProjectUpdate,
)

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=ScopedRoute)


def project_out(project: Project) -> ProjectOut:
    return ProjectOut(name=project.name, allow_custom_blocks=project.allow_custom_blocks,
                      public_key=project.public_key.hex(), created_at=project.created_at)


def key_out(key: ApiKey, project: str | None) -> KeyOut:
    return KeyOut(id=key.key_id, name=key.name, scopes=sorted(key.scopes.split()),
                  project=project, created_at=key.created_at, revoked_at=key.revoked_at)


def mint_key(session: SessionDep, project: Project | None, name: str,
             scopes: list[Scope]) -> KeyMinted:
    minted = keys.mint()
    key = ApiKey(key_id=minted.key_id, secret_sha256=minted.secret_sha256,
                 project_id=project.id if project else None, name=name,
                 scopes=" ".join(sorted({s.value for s in scopes})),
                 created_at=dt.datetime.now(dt.UTC))
    session.add(key)
    session.flush()
    return KeyMinted(**key_out(key, project.name if project else None).model_dump(),
                     key=minted.token)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProjectCreated)
def create_project(auth: ServerAuth, body: ProjectCreate, session: SessionDep,
                   sealing_key: SealingKeyDep) -> ProjectCreated:
    """Create a project with its ed25519 signing key (kept sealed); returns its first admin
    key, once."""
    private, public = signing.new_key_pair()
    project = Project(name=body.name, public_key=public,
                      private_key_sealed=sealing_key.seal(private, public),
                      sealing_key_id=sealing_key.id,
                      allow_custom_blocks=False, created_at=dt.datetime.now(dt.UTC))
    session.add(project)
    try:
        session.flush()
    except IntegrityError:
        raise ProblemError(409, f"a project named {body.name!r} already exists") from None
    admin = mint_key(session, project, "admin", [Scope.ADMIN])
    session.commit()
    return ProjectCreated(**project_out(project).model_dump(), admin_key=admin)


@router.get("", response_model=list[ProjectOut])
def list_projects(auth: FetchAuth, session: SessionDep) -> list[ProjectOut]:
    """The projects this key can see: all for a server key, else its own."""
    query = select(Project).order_by(Project.name)
    if auth.key.project_id is not None:
        query = query.where(Project.id == auth.key.project_id)
    return [project_out(p) for p in session.scalars(query)]


@router.get("/{project}", response_model=ProjectOut)
def get_project(auth: FetchAuth, project: str) -> ProjectOut:
    assert auth.project is not None
    return project_out(auth.project)


@router.patch("/{project}", response_model=ProjectOut)
def update_project(project: str, auth: AdminAuth, body: ProjectUpdate,
                   session: SessionDep) -> ProjectOut:
    """Project settings; `allow_custom_blocks` lets builds run the project's own Python blocks."""
    assert auth.project is not None
    target = session.get_one(Project, auth.project.id)
    if body.allow_custom_blocks is not None:
        target.allow_custom_blocks = body.allow_custom_blocks
    session.commit()
    return project_out(target)


@router.post("/{project}/keys", status_code=status.HTTP_201_CREATED, response_model=KeyMinted)
def create_key(project: str, auth: AdminAuth, body: KeyCreate, session: SessionDep) -> KeyMinted:
    """A new key with the given scopes; the secret is in this response only."""
    minted = mint_key(session, auth.project, body.name, body.scopes)
    session.commit()
    return minted


@router.get("/{project}/keys", response_model=list[KeyOut])
def list_keys(project: str, auth: AdminAuth, session: SessionDep) -> list[KeyOut]:
    assert auth.project is not None
    rows = session.scalars(select(ApiKey).where(ApiKey.project_id == auth.project.id)
                           .order_by(ApiKey.id))
    return [key_out(k, project) for k in rows]


@router.delete("/{project}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(project: str, auth: AdminAuth,
               key_id: Annotated[str, FastPath(pattern=r"^[0-9a-f]{1,32}$")],
               session: SessionDep) -> Response:
    """Revoke a key; it gets 401 from then on. Revoking twice is harmless."""
    assert auth.project is not None
    key = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id,
                                              ApiKey.project_id == auth.project.id))
    if key is None:
        raise ProblemError(404, f"no key {key_id!r} in project {project!r}")
    if key.revoked_at is None:
        key.revoked_at = dt.datetime.now(dt.UTC)
    session.commit()
    return Response(status_code=204)
