"""Encryption at rest for personal data, and keyed hashes to find it again.

A master key (32 bytes, url-safe base64) is split with HKDF into an
AES-256-GCM key for field encryption and a short public key id; a separate
derivation gives the HMAC-SHA256 key for look-up hashes, so a leaked hash key
never decrypts anything.  Each ciphertext is bound to its column through the
GCM associated data, so a value copied into another column does not decrypt.

Keys rotate as a ring: ``DATA_ENCRYPTION_KEY`` seals every new value and the
retired keys of ``DATA_ENCRYPTION_OLD_KEYS`` still open what they sealed.  A
value reads ``b"\\x02" + key id (4 bytes) + nonce + ciphertext``, so a reader
picks the key at once and ``intake keys rotate`` finds values still sealed by
an old key with a byte comparison in SQL.  Values written before key ids
existed (``b"\\x01" + nonce + ciphertext``) are opened by trying each key.

Look-up hashes (contacts' email and phone, the consent ledger, the queue)
must not change when the encryption key does, or no contact would be found
again.  They come from ``DATA_HASH_KEY`` when it is set, else from
``DATA_ENCRYPTION_KEY``; the first rotation therefore sets ``DATA_HASH_KEY``
to the original data key, and it stays there after that key is retired from
the ring (the app refuses old keys without it, see ``intake.config``).  The
hash key itself is derived with its own HKDF label: it opens no value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_V1 = b"\x01"  # nonce + ciphertext: the sealing key is not recorded
FORMAT_V2 = b"\x02"  # key id + nonce + ciphertext
FORMAT_VERSION = FORMAT_V2  # what ``encrypt`` writes
KEY_ID_BYTES = 4
HEADER_BYTES = 1 + KEY_ID_BYTES  # of a v2 value: what SQL compares to find stale values
NONCE_BYTES = 12


class KeyError_(ValueError):
    """The configured data key is missing or malformed."""


class UnreadableValue(Exception):
    """A sealed value that no configured key opens; the message names the column, never data."""


def decode_master(value: str, name: str = "DATA_ENCRYPTION_KEY") -> bytes:
    """The 32 raw bytes of a configured key; the error names the setting, never the value."""
    text = value.strip()
    try:
        master = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyError_(f"{name} is not url-safe base64") from exc
    if len(master) != 32:
        raise KeyError_(f"{name} must decode to 32 bytes")
    return master


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class DataKey:
    """One master key's field-encryption key and its public id (not secret, not reversible)."""

    key_id: bytes
    aead: AESGCM

    @classmethod
    def from_master(cls, master: bytes) -> DataKey:
        """Derive the field key and key id of one raw master key."""
        key_id = _derive(master, b"intake key id v2")[:KEY_ID_BYTES]
        return cls(key_id, AESGCM(_derive(master, b"intake field encryption v1")))

    @property
    def header(self) -> bytes:
        """The bytes every value this key seals starts with."""
        return FORMAT_V2 + self.key_id


@dataclass(frozen=True)
class DataKeys:
    """The key ring: the current key, the retired ones that still open, and the hash key."""

    current: DataKey
    old: tuple[DataKey, ...]
    hash_key: bytes

    @classmethod
    def from_master(
        cls, master_b64: str, old_keys: Iterable[str] = (), hash_master_b64: str | None = None
    ) -> DataKeys:
        """Build the ring from the configured (base64) keys, as in ``intake.config``."""
        master = decode_master(master_b64)
        current = DataKey.from_master(master)
        old: dict[bytes, DataKey] = {}
        for number, value in enumerate(old_keys, start=1):
            key = DataKey.from_master(
                decode_master(value, f"DATA_ENCRYPTION_OLD_KEYS key {number}")
            )
            if key.key_id != current.key_id:  # the current key listed again: harmless
                old[key.key_id] = key
        hash_master = decode_master(hash_master_b64, "DATA_HASH_KEY") if hash_master_b64 else master
        return cls(current, tuple(old.values()), _derive(hash_master, b"intake lookup hash v1"))

    def by_id(self, key_id: bytes) -> DataKey | None:
        """The configured key with this id, if any."""
        return next((key for key in (self.current, *self.old) if key.key_id == key_id), None)

    @property
    def hash_key_id(self) -> str:
        """A fingerprint of the look-up hash key, to check it did not change across a rotation."""
        return hmac.new(self.hash_key, b"intake hash key id", hashlib.sha256).hexdigest()[:8]


_keys: DataKeys | None = None


def configure(
    master_b64: str, old_keys: Iterable[str] = (), hash_master_b64: str | None = None
) -> None:
    """Install the process-wide key ring (called by create_app and the worker)."""
    global _keys
    _keys = DataKeys.from_master(master_b64, old_keys, hash_master_b64)


def keys() -> DataKeys:
    """The installed key ring."""
    if _keys is None:
        raise KeyError_("encryption keys are not configured; call intake.crypto.configure first")
    return _keys


def encrypt(plaintext: str, context: str) -> bytes:
    """Seal a string with the current key for storage in the column named by ``context``."""
    header = keys().current.header
    nonce = os.urandom(NONCE_BYTES)
    sealed = keys().current.aead.encrypt(
        nonce, plaintext.encode("utf-8"), header + context.encode()
    )
    return header + nonce + sealed


def decrypt(blob: bytes, context: str) -> str:
    """Open a value sealed by ``encrypt`` for the same column, with whichever key sealed it."""
    version = blob[:1]
    if version == FORMAT_V2:
        key_id = blob[1:HEADER_BYTES]
        key = keys().by_id(key_id)
        if key is None:
            raise UnreadableValue(
                f"a value of {context} was sealed by key {key_id.hex()}, which is not configured"
            )
        nonce, sealed = (
            blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES],
            blob[HEADER_BYTES + NONCE_BYTES :],
        )
        try:
            plain = key.aead.decrypt(nonce, sealed, blob[:HEADER_BYTES] + context.encode())
        except InvalidTag:
            raise UnreadableValue(
                f"a value of {context} does not open with key {key_id.hex()} "
                "(damaged, or sealed for another column)"
            ) from None
        return plain.decode("utf-8")
    if version == FORMAT_V1:
        return _decrypt_v1(blob, context)
    raise UnreadableValue(f"a value of {context} has an unknown ciphertext format")


def _decrypt_v1(blob: bytes, context: str) -> str:
    """A value from before key ids: the current key first, as most such values were sealed by it."""
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    ring = keys()
    for key in (ring.current, *ring.old):
        try:
            return key.aead.decrypt(nonce, sealed, context.encode()).decode("utf-8")
        except InvalidTag:
            continue
    raise UnreadableValue(f"a value of {context} opens with none of the configured keys")


def sealed_by(blob: bytes) -> bytes | None:
    """The id of the key that sealed a value, or None for a value from before key ids."""
    return blob[1:HEADER_BYTES] if blob[:1] == FORMAT_V2 else None


def reseal(blob: bytes, context: str) -> bytes:
    """The same value sealed again with the current key (for ``intake keys rotate``)."""
    return encrypt(decrypt(blob, context), context)


def lookup_hash(normalised: str, purpose: str) -> str:
    """A keyed hash of a normalised value, for de-duplication without plaintext."""
    mac = hmac.new(keys().hash_key, f"{purpose}:{normalised}".encode(), hashlib.sha256)
    return mac.hexdigest()
