"""Project signing keys sealed at rest: the database holds each project's ed25519 private key
only encrypted (AES-256-GCM) under a sealing key that lives in a file outside the database,
so a leaked database dump or backup cannot sign runes.

The sealing key file holds 64 hex digits (32 bytes). `forge serve`, `forge worker` and
`forge db` create it (mode 0600) on a database that holds no sealed keys yet, and refuse to
start when the database's keys were sealed under another one. Each project row records the
sealing key's id (a hash that reveals nothing of the key), so a mismatch is named, not
discovered at the first signature. The project's public key is the cipher's associated data:
a sealed key copied onto another project's row does not open.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, inspect

KEY_FILE = "signing.kek"
NONCE_BYTES = 12
SEALED_BYTES = NONCE_BYTES + 32 + 16  # nonce, the 32-byte private key, GCM tag
_AAD = b"rune-forge/project-signing-key/v1:"


class SealingError(Exception):
    """The sealing key is missing, malformed or not the one the database's keys need."""


@dataclass(frozen=True)
class SealingKey:
    secret: bytes

    @property
    def id(self) -> str:
        """16 hex digits naming this key in the database and in error messages."""
        return hashlib.sha256(b"rune-forge sealing key id:" + self.secret).hexdigest()[:16]

    def seal(self, private: bytes, public: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(self.secret).encrypt(nonce, private, _AAD + public)

    def unseal(self, sealed: bytes, public: bytes) -> bytes:
        if len(sealed) != SEALED_BYTES:
            raise SealingError(f"a sealed signing key is {len(sealed)} bytes, not {SEALED_BYTES}")
        try:
            return AESGCM(self.secret).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                               _AAD + public)
        except InvalidTag:
            raise SealingError("a project's signing key does not open with this sealing key "
                               "(wrong key, or the row was altered)") from None


def load(path: Path) -> SealingKey:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SealingError(f"{path}: cannot read the signing-key sealing file: {exc}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise SealingError(f"{path}: a sealing key file holds 64 hex digits")
    return SealingKey(secret)


def sealed_key_ids(engine: Engine) -> set[str]:
    """The sealing key ids the database's projects need (none before migration 0002)."""
    schema = inspect(engine)
    if not schema.has_table("projects"):
        return set()
    if "sealing_key_id" not in {c["name"] for c in schema.get_columns("projects")}:
        return set()
    column = sa.column("sealing_key_id")
    with engine.connect() as conn:
        return set(conn.scalars(sa.select(column).select_from(sa.table("projects", column))
                                .distinct()))


def ensure(path: Path, engine: Engine) -> SealingKey:
    """The sealing key at `path`, made there when missing and the database needs no other."""
    if not path.exists():
        needed = sealed_key_ids(engine)
        if needed:
            raise SealingError(f"{path}: missing, and the database's signing keys are sealed "
                               f"under key {', '.join(sorted(needed))}: restore that file "
                               "(or pass --signing-key-file)")
        _create(path)
    return load(path)


def _create(path: Path) -> None:
    """Write a new key atomically: servers and workers started together all read one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(partial, path)  # fails if another process made the key first: theirs wins
    except FileExistsError:
        pass
    finally:
        partial.unlink()


def check(engine: Engine, key: SealingKey, path: Path) -> None:
    """Refuse a sealing key that does not open the database's signing keys."""
    others = sealed_key_ids(engine) - {key.id}
    if others:
        raise SealingError(f"{path} holds sealing key {key.id}, but the database's signing keys "
                           f"are sealed under key {', '.join(sorted(others))}: pass the file "
                           "they were sealed with (--signing-key-file)")
