"""Projects' signing keys are sealed at rest: the database never holds a usable private key,
a server with the wrong sealing key refuses to start, and databases made before sealing are
sealed by migration 0002."""

from __future__ import annotations

import stat
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from conftest import Deployment
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from forgekit import FORGE, free_port
from rune.forge.server import sealing, signing
from rune.forge.server.db import MIGRATIONS, make_engine, upgrade


def _public_of(private: bytes) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(private)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _url(forge: Deployment) -> str:
    return forge.database_url or f"sqlite:///{forge.data / 'forge.db'}"


def _projects(url: str) -> list[sa.Row]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT * FROM projects ORDER BY id")))
    finally:
        engine.dispose()


def test_the_database_holds_only_sealed_signing_keys(forge: Deployment) -> None:
    forge.project("sealed")
    key_file = forge.data / sealing.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = sealing.load(key_file)
    row = next(r for r in _projects(_url(forge)) if r.name == "sealed")
    assert "private_key" not in row._fields
    assert row.sealing_key_id == key.id
    assert len(row.private_key_sealed) == sealing.SEALED_BYTES
    private = key.unseal(bytes(row.private_key_sealed), bytes(row.public_key))
    assert _public_of(private) == bytes(row.public_key)
    assert private not in bytes(row.private_key_sealed)


def _serve(forge: Deployment, *extra: str) -> subprocess.CompletedProcess[str]:
    """`forge serve` on this deployment's data and database; it must refuse within the timeout
    (a server that comes up instead fails the test by timing out)."""
    command_line = [*FORGE, "serve", "--data", str(forge.data), "--port", str(free_port()),
                    *extra]
    if forge.database_url:
        command_line += ["--database-url", forge.database_url]
    return subprocess.run(command_line, capture_output=True, text=True, timeout=60)


def test_a_server_with_another_sealing_key_refuses_to_start(forge: Deployment,
                                                           tmp_path: Path) -> None:
    forge.project("guarded")
    needed = sealing.load(forge.data / sealing.KEY_FILE).id

    missing = _serve(forge, "--signing-key-file", str(tmp_path / "absent.kek"))
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert f"missing, and the database's signing keys are sealed under key {needed}" \
        in missing.stderr
    assert not (tmp_path / "absent.kek").exists()

    other = tmp_path / "other.kek"
    other.write_text("ab" * 32 + "\n")
    wrong = _serve(forge, "--signing-key-file", str(other))
    assert wrong.returncode == 1
    assert "Traceback" not in wrong.stderr
    assert f"holds sealing key {sealing.SealingKey(bytes([0xAB] * 32)).id}" in wrong.stderr
    assert f"sealed under key {needed}" in wrong.stderr

    other.write_text("not hex\n")
    malformed = _serve(forge, "--signing-key-file", str(other))
    assert malformed.returncode == 1
    assert f"{other}: a sealing key file holds 64 hex digits" in malformed.stderr


def _alembic(engine: sa.Engine, key: sealing.SealingKey | None) -> tuple[Config, sa.Connection]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    conn = engine.connect()
    config.attributes["connection"] = conn
    config.attributes["sealing_key"] = key
    return config, conn


def test_migration_0002_seals_keys_made_before_it_and_downgrade_opens_them(
        tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'forge.db'}")
    upgrade(engine, "0001")
    private, public = signing.new_key_pair()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO projects (name, allow_custom_blocks, public_key, "
                             "private_key, created_at) VALUES ('old', 0, :pub, :priv, "
                             "'2026-11-01 00:00:00')"), {"pub": public, "priv": private})

    with pytest.raises(sealing.SealingError, match="must \\(un\\)seal 1 projects"):
        upgrade(engine)
    key = sealing.SealingKey(bytes(range(32)))
    upgrade(engine, sealing_key=key)
    (row,) = _projects(f"sqlite:///{tmp_path / 'forge.db'}")
    assert "private_key" not in row._fields
    assert row.sealing_key_id == key.id
    assert key.unseal(bytes(row.private_key_sealed), public) == private

    config, conn = _alembic(engine, key)
    with conn.begin():
        command.downgrade(config, "0001")
    conn.close()
    (row,) = _projects(f"sqlite:///{tmp_path / 'forge.db'}")
    assert bytes(row.private_key) == private
    assert "private_key_sealed" not in row._fields
    engine.dispose()


def test_a_sealed_key_opens_only_for_its_own_project_and_sealing_key() -> None:
    key = sealing.SealingKey(bytes(range(32)))
    private_a, public_a = signing.new_key_pair()
    _, public_b = signing.new_key_pair()
    sealed = key.seal(private_a, public_a)
    assert key.unseal(sealed, public_a) == private_a
    with pytest.raises(sealing.SealingError, match="does not open"):
        key.unseal(sealed, public_b)  # copied onto project B's row
    with pytest.raises(sealing.SealingError, match="does not open"):
        sealing.SealingKey(bytes(32)).unseal(sealed, public_a)
    flipped = bytearray(sealed)
    flipped[20] ^= 1
    with pytest.raises(sealing.SealingError, match="does not open"):
        key.unseal(bytes(flipped), public_a)
    with pytest.raises(sealing.SealingError, match="is 59 bytes, not 60"):
        key.unseal(sealed[:-1], public_a)


def test_processes_starting_together_make_one_sealing_key(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'forge.db'}")
    path = tmp_path / "keys" / sealing.KEY_FILE
    start = threading.Barrier(8)
    found: list[sealing.SealingKey] = []

    def take() -> None:
        start.wait()
        found.append(sealing.ensure(path, engine))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len({k.id for k in found}) == 1
    assert found[0] == sealing.load(path)
    assert [p.name for p in path.parent.iterdir()] == [sealing.KEY_FILE]
    engine.dispose()
