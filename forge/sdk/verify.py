"""The check every rune passes before it is loaded: its sha256 is the one the server signed,
and the signature is the project's (the public key pinned in the device's configuration)."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import VerificationError


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(text.strip())
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise VerificationError(f"not an ed25519 public key (64 hex digits): {text!r}") from None


def verify(data: bytes, sha256_hex: str, signature_hex: str, key: Ed25519PublicKey) -> None:
    """Raise VerificationError unless `data` hashes to `sha256_hex` and the signature of that
    digest verifies under `key`."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256_hex:
        raise VerificationError(f"the rune's sha256 is {actual}, not the signed {sha256_hex}: "
                                "it was altered or damaged")
    try:
        key.verify(bytes.fromhex(signature_hex), bytes.fromhex(sha256_hex))
    except (InvalidSignature, ValueError):
        raise VerificationError(f"the signature of rune {sha256_hex} does not verify with the "
                                "pinned public key") from None
