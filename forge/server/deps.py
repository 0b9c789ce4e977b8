"""Request dependencies: a database session, and the key that authorises a request.

`Authorizer(scope)` is the only way a route reads a project: it checks the key (401 if
missing, malformed, unknown or revoked), hides other projects (404), then checks the scope
(403). `ScopedRoute` writes that scope into the OpenAPI operation as `x-required-scope`, so the
security test can drive every route from the spec.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import keys
from .keys import Scope
from .models import ApiKey, Project
from .problems import ProblemError
from .schemas import NAME_PATTERN
from .sealing import SealingKey

_PROJECT_NAME = re.compile(NAME_PATTERN)
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer fk_...")
_header = APIKeyHeader(name="x-api-key", auto_error=False, description="the same key")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The route's session. Closed on the event loop (it connects lazily, in the route's
    thread): a closing session never waits for a worker thread, so a full thread pool cannot
    hold connections hostage."""
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_sealing_key(request: Request) -> SealingKey:
    """The key that seals new projects' signing keys (checked against the database at start)."""
    return request.app.state.sealing_key


SealingKeyDep = Annotated[SealingKey, Depends(get_sealing_key)]


@dataclass
class Auth:
    key: ApiKey
    project: Project | None


def _key(session: Session, bearer: HTTPAuthorizationCredentials | None,
         header: str | None) -> ApiKey:
    token = bearer.credentials if bearer is not None else header
    unauthorised = {"WWW-Authenticate": "Bearer"}
    if not token:
        raise ProblemError(401, "an API key is required (Authorization: Bearer fk_...)",
                           headers=unauthorised)
    parsed = keys.parse(token)
    key = None
    if parsed is not None:
        key = session.scalar(select(ApiKey).where(ApiKey.key_id == parsed[0]))
    if key is None or parsed is None or not keys.matches(parsed[1], key.secret_sha256):
        raise ProblemError(401, "unknown API key", headers=unauthorised)
    if key.revoked_at is not None:
        raise ProblemError(401, "this API key has been revoked", headers=unauthorised)
    return key


class Authorizer:
    """A dependency: the caller's key, allowed `scope` on the path's `project` (if any)."""

    def __init__(self, scope: Scope, *, server: bool = False) -> None:
        self.scope, self.server = scope, server

    def __call__(self, request: Request,
                 bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                 header: Annotated[str | None, Depends(_header)]) -> Auth:
        # A session of its own, closed before the route runs: the key and project come back
        # detached (loaded), and no connection is held between the check and the route.
        with request.app.state.sessions() as session:
            return self._check(request, session, bearer, header)

    def _check(self, request: Request, session: Session,
               bearer: HTTPAuthorizationCredentials | None, header: str | None) -> Auth:
        key = _key(session, bearer, header)
        name = request.path_params.get("project")
        project = None
        if name is not None:
            project = None
            if _PROJECT_NAME.fullmatch(name):
                project = session.scalar(select(Project).where(Project.name == name))
            if project is None or (key.project_id is not None and key.project_id != project.id):
                raise ProblemError(404, f"no project named {name!r}")
        elif self.server and key.project_id is not None:
            raise ProblemError(403, "this needs a server key (one not tied to a project)")
        if not keys.grants(key.scopes, self.scope):
            raise ProblemError(403, f"this API key lacks the {self.scope.value!r} scope")
        return Auth(key, project)


AdminAuth = Annotated[Auth, Depends(Authorizer(Scope.ADMIN))]
DeployAuth = Annotated[Auth, Depends(Authorizer(Scope.DEPLOY))]
FetchAuth = Annotated[Auth, Depends(Authorizer(Scope.FETCH))]
TelemetryAuth = Annotated[Auth, Depends(Authorizer(Scope.TELEMETRY))]
ServerAuth = Annotated[Auth, Depends(Authorizer(Scope.ADMIN, server=True))]


def _scopes(dependant: Dependant) -> set[str]:
    found = {d.call.scope.value for d in dependant.dependencies if isinstance(d.call, Authorizer)}
    for sub in dependant.dependencies:
        found |= _scopes(sub)
    return found


class ScopedRoute(APIRoute):
    """An APIRoute that records the scope its Authorizer demands in the OpenAPI operation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scopes = _scopes(self.dependant)
        if scopes:
            self.openapi_extra = {**(self.openapi_extra or {}),
                                  "x-required-scope": sorted(scopes)[0]}
