"""Sources in, builds queued; their status and located diagnostics out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deps import DeployAuth, ScopedRoute, SessionDep
from ..models import Build, Source, Version
from ..problems import ProblemError
from ..schemas import BuildOut, DiagnosticOut
from ..uploads import Budget, UploadError, pack, read_archive, safe_name

router = APIRouter(prefix="/v1/projects/{project}/builds", tags=["builds"],
                   route_class=ScopedRoute)


def build_out(build: Build, source: Source, version: Version | None) -> BuildOut:
    return BuildOut(id=build.id, status=build.status, runefile=source.runefile,  # type: ignore[arg-type]
                    source_sha256=source.sha256,
                    diagnostics=[DiagnosticOut.model_validate(d) for d in build.diagnostics],
                    log=build.log, version=version.number if version else None,
                    created_at=build.created_at, started_at=build.started_at,
                    finished_at=build.finished_at)


def _collect(files: list[UploadFile], archive: UploadFile | None,
                   budget: Budget) -> dict[str, bytes]:
    collected: dict[str, bytes] = {}
    for upload in files:
        name = safe_name(upload.filename or "")
        data = upload.file.read(budget.max_bytes - budget.used_bytes + 1)
        budget.take(name, len(data))
        if name in collected:
            raise UploadError(f"{name}: uploaded twice")
        collected[name] = data
    if archive is not None:
        data = archive.file.read(budget.max_bytes + 1)
        if len(data) > budget.max_bytes:
            raise UploadError(f"the archive is larger than {budget.max_bytes} bytes")
        for name, content in read_archive(data, budget).items():
            if name in collected:
                raise UploadError(f"{name}: uploaded twice")
            collected[name] = content
    return collected


def collect_upload(request: Request, files: list[UploadFile], archive: UploadFile | None,
                   runefile: str | None) -> dict[str, bytes]:
    """The uploaded folder within the server's limits, with `runefile` in it (if given); a
    400/413 problem otherwise."""
    settings = request.app.state.settings
    budget = Budget(settings.max_upload_bytes, settings.max_upload_files)
    try:
        collected = _collect(files, archive, budget)
        if not collected:
            raise UploadError("nothing uploaded: send 'files' or an 'archive'")
        if runefile is not None and safe_name(runefile) not in collected:
            raise UploadError(f"the upload has no {safe_name(runefile)!r} (set 'runefile' to "
                              "its path)")
    except UploadError as exc:
        raise ProblemError(400 if "larger" not in str(exc) else 413, str(exc)) from None
    return collected


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=BuildOut)
def create_build(
    project: str, auth: DeployAuth, request: Request, session: SessionDep,
    files: Annotated[list[UploadFile], File(description="files; each filename is its path "
                                             "relative to the source folder")] = [],  # noqa: B006
    archive: Annotated[UploadFile | None,
                       File(description="or a zip/tar(.gz) of the folder")] = None,
    runefile: Annotated[str, Form(max_length=1000)] = "Runefile.yml",
) -> BuildOut:
    """Upload a Runefile folder and queue its build; poll the build for the result."""
    assert auth.project is not None
    collected = collect_upload(request, files, archive, runefile)
    entry = safe_name(runefile)
    packed = pack(collected)
    sha = request.app.state.store.put(packed)
    now = dt.datetime.now(dt.UTC)
    source = Source(project_id=auth.project.id, sha256=sha, runefile=entry, size=len(packed),
                    files=len(collected), created_at=now)
    session.add(source)
    session.flush()
    build = Build(project_id=auth.project.id, source_id=source.id, status="queued",
                  diagnostics=[], log="", created_at=now)
    session.add(build)
    session.commit()
    return build_out(build, source, None)


def _rows(session: Session, project_id: int, build_id: int | None = None, limit: int = 100):
    query = (select(Build, Source, Version).join(Source, Build.source_id == Source.id)
             .outerjoin(Version, Build.version_id == Version.id)
             .where(Build.project_id == project_id).order_by(Build.id.desc()).limit(limit))
    if build_id is not None:
        query = query.where(Build.id == build_id)
    return session.execute(query).all()


@router.get("", response_model=list[BuildOut])
def list_builds(project: str, auth: DeployAuth, session: SessionDep) -> list[BuildOut]:
    assert auth.project is not None
    return [build_out(*row) for row in _rows(session, auth.project.id)]


@router.get("/{build_id}", response_model=BuildOut)
def get_build(project: str, auth: DeployAuth,
              build_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
              session: SessionDep) -> BuildOut:
    assert auth.project is not None
    rows = _rows(session, auth.project.id, build_id)
    if not rows:
        raise ProblemError(404, f"no build {build_id} in project {project!r}")
    return build_out(*rows[0])
