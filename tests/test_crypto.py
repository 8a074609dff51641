"""The key ring: v2 values name their key, v1 values still open, a wrong key says so plainly."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake import crypto


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def seal_v1(key: str, plaintext: str, context: str) -> bytes:
    """A value as the code before key ids sealed it (format 1), written independently."""
    master = base64.urlsafe_b64decode(key)
    field_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"intake field encryption v1"
    ).derive(master)
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(field_key).encrypt(nonce, plaintext.encode(), context.encode())


def key_id(key: str) -> bytes:
    return crypto.DataKeys.from_master(key).current.key_id


@pytest.fixture(autouse=True)
def _restore_keys() -> Iterator[None]:
    """Each test configures the process-wide ring; the suite's own comes back after."""
    saved = crypto._keys
    yield
    crypto._keys = saved


A, B, C = new_key(), new_key(), new_key()


def test_a_new_value_names_the_current_key_and_opens():
    crypto.configure(A)
    blob = crypto.encrypt("Maria", "contacts.first_name")
    assert blob[:1] == crypto.FORMAT_V2 and crypto.sealed_by(blob) == key_id(A)
    assert len(key_id(A)) == crypto.KEY_ID_BYTES and key_id(A) != key_id(B)
    assert crypto.decrypt(blob, "contacts.first_name") == "Maria"


def test_the_key_id_is_not_the_key():
    raw = base64.urlsafe_b64decode(A)
    assert key_id(A) not in raw and key_id(A) == key_id(A.rstrip("="))


def test_a_value_sealed_for_one_column_does_not_open_in_another():
    crypto.configure(A)
    blob = crypto.encrypt("Maria", "contacts.first_name")
    with pytest.raises(crypto.UnreadableValue, match="contacts.last_name"):
        crypto.decrypt(blob, "contacts.last_name")


def test_old_keys_open_what_they_sealed_and_new_values_use_the_current_key():
    crypto.configure(A)
    old = crypto.encrypt("Maria", "contacts.first_name")
    crypto.configure(B, [A], hash_master_b64=A)
    assert crypto.decrypt(old, "contacts.first_name") == "Maria"
    again = crypto.reseal(old, "contacts.first_name")
    assert crypto.sealed_by(again) == key_id(B)
    crypto.configure(B, hash_master_b64=A)  # A retired
    assert crypto.decrypt(again, "contacts.first_name") == "Maria"


def test_a_retired_key_names_itself_but_no_data():
    crypto.configure(A)
    blob = crypto.encrypt("Maria", "contacts.first_name")
    crypto.configure(B)
    with pytest.raises(crypto.UnreadableValue) as error:
        crypto.decrypt(blob, "contacts.first_name")
    message = str(error.value)
    assert key_id(A).hex() in message and "not configured" in message
    assert "Maria" not in message and A not in message


def test_format_1_values_open_with_whichever_key_sealed_them():
    from_a, from_b = seal_v1(A, "12 Elm Street", "x.y"), seal_v1(B, "60601", "x.y")
    crypto.configure(C, [B, A], hash_master_b64=A)
    assert crypto.decrypt(from_a, "x.y") == "12 Elm Street"
    assert crypto.decrypt(from_b, "x.y") == "60601"
    assert crypto.sealed_by(from_a) is None
    assert crypto.sealed_by(crypto.reseal(from_a, "x.y")) == key_id(C)


def test_a_format_1_value_no_key_opens_is_refused_plainly():
    blob = seal_v1(A, "Maria", "contacts.first_name")
    crypto.configure(B, [C], hash_master_b64=C)
    with pytest.raises(crypto.UnreadableValue, match="none of the configured keys") as error:
        crypto.decrypt(blob, "contacts.first_name")
    assert "Maria" not in str(error.value)


def test_a_damaged_value_or_unknown_format_is_refused():
    crypto.configure(A)
    blob = bytearray(crypto.encrypt("Maria", "c"))
    blob[-1] ^= 1
    with pytest.raises(crypto.UnreadableValue, match="damaged"):
        crypto.decrypt(bytes(blob), "c")
    with pytest.raises(crypto.UnreadableValue, match="unknown ciphertext format"):
        crypto.decrypt(b"\x07" + bytes(blob[1:]), "c")


def test_look_up_hashes_follow_the_hash_key_not_the_data_key():
    crypto.configure(A)
    before = crypto.lookup_hash("+12125550143", "contact-phone")
    fingerprint = crypto.keys().hash_key_id
    crypto.configure(B, [A], hash_master_b64=A)
    assert crypto.lookup_hash("+12125550143", "contact-phone") == before
    assert crypto.keys().hash_key_id == fingerprint
    crypto.configure(C, hash_master_b64=A)
    assert crypto.lookup_hash("+12125550143", "contact-phone") == before
    crypto.configure(B)  # the hash key forgotten: every hash changes
    assert crypto.lookup_hash("+12125550143", "contact-phone") != before


def test_the_current_key_listed_as_old_is_ignored():
    crypto.configure(A, [A, B, B], hash_master_b64=A)
    assert [key.key_id for key in crypto.keys().old] == [key_id(B)]


@pytest.mark.parametrize(
    ("old", "says"),
    [("x", "key 1 is not url-safe base64"), (new_key()[:20], "key 1 must decode")],
)
def test_a_malformed_old_key_is_refused_by_its_position(old, says):
    with pytest.raises(crypto.KeyError_, match=says) as error:
        crypto.DataKeys.from_master(A, [old])
    assert old not in str(error.value)
