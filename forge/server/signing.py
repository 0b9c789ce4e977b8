"""Per-project ed25519 keys. The server signs the sha256 digest of each rune; devices verify
with the public key pinned in their configuration."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)


def new_key_pair() -> tuple[bytes, bytes]:
    """(private, public) raw 32-byte keys."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private, public


def sign_digest(private: bytes, sha256_hex: str) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).sign(bytes.fromhex(sha256_hex))
