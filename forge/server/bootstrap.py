"""Server keys: the first one is made when `forge serve` meets an empty database."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import Engine, func, select

from . import keys
from .db import session_factory, transaction
from .models import ApiKey

SERVER_KEY_FILE = "server.key"


def mint_server_key(engine: Engine, name: str = "server") -> str:
    """A new server key (scope admin, no project), returned once."""
    minted = keys.mint()
    with transaction(session_factory(engine)) as session:
        session.add(ApiKey(key_id=minted.key_id, secret_sha256=minted.secret_sha256,
                           project_id=None, name=name, scopes=keys.Scope.ADMIN.value,
                           created_at=dt.datetime.now(dt.UTC)))
    return minted.token


def ensure_server_key(engine: Engine, data_dir: Path) -> Path | None:
    """On a database with no keys at all, mint a server key into `<data>/server.key` (0600)."""
    with session_factory(engine)() as session:
        if session.scalar(select(func.count()).select_from(ApiKey)):
            return None
    token = mint_server_key(engine)
    path = data_dir / SERVER_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return path
