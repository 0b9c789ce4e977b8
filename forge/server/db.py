"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from .sealing import SealingKey

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x52554E45  # pg_advisory_lock key: one server migrates at a time


class DatabaseURLError(ValueError):
    pass


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so servers and workers share it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"invalid database URL {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                               pool_size=20, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseURLError(f"unsupported database {parsed.get_backend_name()!r}: "
                               "use sqlite:///path or postgresql+psycopg://...")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upgrade(engine: Engine, revision: str = "head", sealing_key: SealingKey | None = None) -> None:
    """Apply Alembic migrations; on PostgreSQL under an advisory lock so that servers started
    together do not race. `sealing_key` seals signing keys that migration 0002 finds in the
    clear (a database made before it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        config.attributes["sealing_key"] = sealing_key
        command.upgrade(config, revision)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One explicit transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
