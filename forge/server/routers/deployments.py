"""Versions, channels (deploy, promote, rollback, history) and the rune download itself."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..deps import DeployAuth, FetchAuth, ScopedRoute, SessionDep
from ..models import Channel, ChannelEvent, Project, Version
from ..problems import ProblemError
from ..schemas import ChannelOut, ChannelSet, HistoryEntry, Name, Promote, Rollback, VersionOut

router = APIRouter(prefix="/v1/projects/{project}", tags=["deployments"], route_class=ScopedRoute)
RUNE_MEDIA_TYPE = "application/vnd.rune"
_VERSION_REF = re.compile(r"v([0-9]{1,9})|([0-9a-f]{64})")
Ref = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,100}$",
                          description="a channel name, 'v<number>' or a sha256")]


def version_out(version: Version) -> VersionOut:
    return VersionOut(number=version.number, sha256=version.sha256, size=version.size,
                      signature=version.signature.hex(), build=version.build_id,
                      created_at=version.created_at)


def channel_out(channel: Channel, version: Version) -> ChannelOut:
    return ChannelOut(name=channel.name, version=version.number, sha256=version.sha256,
                      updated_at=channel.updated_at)


def _version(session: Session, project: Project, number: int) -> Version:
    version = session.scalar(select(Version).where(Version.project_id == project.id,
                                                   Version.number == number))
    if version is None:
        raise ProblemError(404, f"no version {number} in project {project.name!r}")
    return version


def _channel(session: Session, project: Project, name: str, *, lock: bool = False) -> Channel:
    query = select(Channel).where(Channel.project_id == project.id, Channel.name == name)
    channel = session.scalar(query.with_for_update() if lock else query)
    if channel is None:
        raise ProblemError(404, f"no channel {name!r} in project {project.name!r}")
    return channel


def resolve(session: Session, project: Project, ref: str) -> tuple[Version, str | None]:
    """The version a reference names, and the channel if it named one."""
    match = _VERSION_REF.fullmatch(ref)
    if match and match.group(1):
        return _version(session, project, int(match.group(1))), None
    if match:
        version = session.scalar(select(Version).where(Version.project_id == project.id,
                                                       Version.sha256 == ref))
        if version is None:
            raise ProblemError(404, f"no version with sha256 {ref} in project {project.name!r}")
        return version, None
    channel = _channel(session, project, ref)
    return session.get_one(Version, channel.version_id), channel.name


def _move(session: Session, project: Project, name: str, version: Version, action: str,
          auth: Any, previous_event_id: int | None = None) -> ChannelOut:
    """Point channel `name` at `version`, appending to its history (creating it if new)."""
    now = dt.datetime.now(dt.UTC)
    channel = session.scalar(select(Channel).where(Channel.project_id == project.id,
                                                   Channel.name == name).with_for_update())
    if channel is None:
        channel = Channel(project_id=project.id, name=name, version_id=version.id, updated_at=now)
        session.add(channel)
        try:
            session.flush()
        except IntegrityError:  # created by a concurrent request: retry as an update
            session.rollback()
            return _move(session, project, name, version, action, auth, previous_event_id)
    if action != "rollback":
        previous_event_id = channel.head_event_id
    event = ChannelEvent(channel_id=channel.id, version_id=version.id, action=action,
                         previous_event_id=previous_event_id, key_id=auth.key.key_id,
                         created_at=now)
    session.add(event)
    session.flush()
    channel.version_id, channel.head_event_id, channel.updated_at = version.id, event.id, now
    session.commit()
    return channel_out(channel, version)


@router.get("/versions", response_model=list[VersionOut], tags=["versions"])
def list_versions(project: str, auth: DeployAuth, session: SessionDep) -> list[VersionOut]:
    assert auth.project is not None
    rows = session.scalars(select(Version).where(Version.project_id == auth.project.id)
                           .order_by(Version.number.desc()).limit(500))
    return [version_out(v) for v in rows]


@router.get("/versions/{number}", response_model=VersionOut, tags=["versions"])
def get_version(project: str, auth: DeployAuth, number: Annotated[int, Path(ge=1, le=2**31 - 1)],
                session: SessionDep) -> VersionOut:
    assert auth.project is not None
    return version_out(_version(session, auth.project, number))


@router.get("/channels", response_model=list[ChannelOut], tags=["channels"])
def list_channels(project: str, auth: DeployAuth, session: SessionDep) -> list[ChannelOut]:
    assert auth.project is not None
    rows = session.execute(select(Channel, Version).join(Version, Channel.version_id == Version.id)
                           .where(Channel.project_id == auth.project.id).order_by(Channel.name))
    return [channel_out(c, v) for c, v in rows.all()]


@router.put("/channels/{channel}", response_model=ChannelOut, tags=["channels"])
def deploy(project: str, auth: DeployAuth, channel: Annotated[Name, Path()],
           body: ChannelSet, session: SessionDep) -> ChannelOut:
    """Deploy a version to a channel (created on first use)."""
    assert auth.project is not None
    version = _version(session, auth.project, body.version)
    return _move(session, auth.project, channel, version, "deploy", auth)


@router.post("/channels/{channel}/promote", response_model=ChannelOut, tags=["channels"])
def promote(project: str, auth: DeployAuth, channel: Annotated[Name, Path()],
            body: Promote, session: SessionDep) -> ChannelOut:
    """Point `channel` at the version `source` points at (e.g. staging -> production)."""
    assert auth.project is not None
    source = _channel(session, auth.project, body.source)
    version = session.get_one(Version, source.version_id)
    return _move(session, auth.project, channel, version, "promote", auth)


@router.post("/channels/{channel}/rollback", response_model=ChannelOut, tags=["channels"])
def rollback(project: str, auth: DeployAuth, channel: Annotated[Name, Path()],
             body: Rollback, session: SessionDep) -> ChannelOut:
    """Point the channel back at the version it had `steps` changes ago."""
    assert auth.project is not None
    current = _channel(session, auth.project, channel, lock=True)
    event = session.get(ChannelEvent, current.head_event_id) if current.head_event_id else None
    for _ in range(body.steps):
        previous = event.previous_event_id if event else None
        if previous is None:
            raise ProblemError(409, f"channel {channel!r} has no earlier version to roll back to")
        event = session.get_one(ChannelEvent, previous)
    assert event is not None
    version = session.get_one(Version, event.version_id)
    return _move(session, auth.project, channel, version, "rollback", auth,
                 previous_event_id=event.previous_event_id)


@router.get("/channels/{channel}/history", response_model=list[HistoryEntry], tags=["channels"])
def history(project: str, auth: DeployAuth, channel: Annotated[Name, Path()],
            session: SessionDep) -> list[HistoryEntry]:
    """Every change of the channel, newest first."""
    assert auth.project is not None
    found = _channel(session, auth.project, channel)
    rows = session.execute(select(ChannelEvent, Version)
                           .join(Version, ChannelEvent.version_id == Version.id)
                           .where(ChannelEvent.channel_id == found.id)
                           .order_by(ChannelEvent.id.desc()).limit(1000))
    return [HistoryEntry(id=e.id, action=e.action, version=v.number, sha256=v.sha256,  # type: ignore[arg-type]
                         key=e.key_id, created_at=e.created_at) for e, v in rows.all()]


@router.get("/runes/{ref}", tags=["runes"],
            responses={200: {"content": {RUNE_MEDIA_TYPE: {}}, "description": "the rune"},
                       304: {"description": "unchanged (If-None-Match matched the ETag)"}})
def fetch_rune(project: str, auth: FetchAuth, ref: Ref, request: Request, session: SessionDep,
               if_none_match: Annotated[str | None, Header(max_length=1000)] = None) -> Response:
    """The rune a channel or version names. ETag is its sha256; `X-Rune-Signature` is the
    project's ed25519 signature of that digest (hex), to check against the pinned key."""
    assert auth.project is not None
    version, channel = resolve(session, auth.project, ref)
    headers = {"ETag": f'"{version.sha256}"', "Cache-Control": "no-cache",
               "X-Rune-Sha256": version.sha256, "X-Rune-Signature": version.signature.hex(),
               "X-Rune-Version": str(version.number)}
    if channel is not None:
        headers["X-Rune-Channel"] = channel
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")}
        if version.sha256 in tags or "*" in tags:
            return Response(status_code=304, headers=headers)
    data = request.app.state.store.get(version.sha256)
    return Response(data, media_type=RUNE_MEDIA_TYPE, headers=headers)

