"""API keys: minted once, stored as the sha256 of their secret, looked up by a public id.

The secret has 256 bits of entropy, so a plain sha256 is enough (no password stretching);
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "fk"


class Scope(StrEnum):
    DEPLOY = "deploy"  # push sources, read builds/versions/telemetry, move channels
    FETCH = "fetch"  # download runes and the project's public key (devices)
    TELEMETRY = "telemetry"  # send telemetry (devices)
    ADMIN = "admin"  # keys and project settings; implies every other scope


@dataclass(frozen=True)
class MintedKey:
    key_id: str
    secret_sha256: str
    token: str  # shown to the user once, never stored


def mint() -> MintedKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return MintedKey(key_id, digest(secret), f"{PREFIX}_{key_id}_{secret}")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_sha256)


def grants(scopes: str, needed: Scope) -> bool:
    held = set(scopes.split())
    return Scope.ADMIN in held or needed in held
