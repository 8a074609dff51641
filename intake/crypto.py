"""Encryption at rest for personal data, and keyed hashes to find it again.

One master key (``DATA_ENCRYPTION_KEY``, 32 bytes, url-safe base64) is split
with HKDF into an AES-256-GCM key for field encryption and an HMAC-SHA256 key
for look-up hashes, so a leaked hash key never decrypts anything.  Each
ciphertext is bound to its column through the GCM associated data, so a value
copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12


class KeyError_(ValueError):
    """The configured data key is missing or malformed."""


@dataclass(frozen=True)
class DataKeys:
    """The two derived keys; build with ``DataKeys.from_master``."""

    aead: AESGCM
    hash_key: bytes

    @classmethod
    def from_master(cls, master_b64: str) -> DataKeys:
        """Derive the field and hash keys from the configured master key."""
        try:
            master = base64.urlsafe_b64decode(
                master_b64.strip() + "=" * (-len(master_b64.strip()) % 4)
            )
        except (binascii.Error, ValueError) as exc:
            raise KeyError_("DATA_ENCRYPTION_KEY is not url-safe base64") from exc
        if len(master) != 32:
            raise KeyError_("DATA_ENCRYPTION_KEY must decode to 32 bytes")
        return cls(
            AESGCM(_derive(master, b"intake field encryption v1")),
            _derive(master, b"intake lookup hash v1"),
        )


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


_keys: DataKeys | None = None


def configure(master_b64: str) -> None:
    """Install the process-wide keys (called by create_app and the worker)."""
    global _keys
    _keys = DataKeys.from_master(master_b64)


def _current() -> DataKeys:
    if _keys is None:
        raise KeyError_("encryption keys are not configured; call intake.crypto.configure first")
    return _keys


def encrypt(plaintext: str, context: str) -> bytes:
    """Seal a string for storage in the column named by ``context``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _current().aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return FORMAT_VERSION + nonce + sealed


def decrypt(blob: bytes, context: str) -> str:
    """Open a value sealed by ``encrypt`` for the same column."""
    if not blob or blob[:1] != FORMAT_VERSION:
        raise KeyError_("unknown ciphertext format")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    return _current().aead.decrypt(nonce, sealed, context.encode()).decode("utf-8")


def lookup_hash(normalised: str, purpose: str) -> str:
    """A keyed hash of a normalised value, for de-duplication without plaintext."""
    mac = hmac.new(_current().hash_key, f"{purpose}:{normalised}".encode(), hashlib.sha256)
    return mac.hexdigest()
