"""The quoted-printable variant for a server without 8BITMIME: the same message, 7-bit."""

from __future__ import annotations

import base64
import email
import email.policy

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from intake.mail import compose

TEXT = "Hola José,\n\naquí tiene la información.\n"
LONG = "Una línea de más de 998 bytes " * 40  # the package writes it quoted-printable already
# longer than 76 characters once quoted: the variant must wrap it
HTML = "<p>Hola José,</p><p>aquí tiene la información que pidió sobre el mesotelioma.</p>"


def _key() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _build(to: str, text: str = TEXT, html: str = HTML, key: bytes | None = None):
    return compose.build(
        mail_from="Apoyo <apoyo@example.org>",
        to_name="José Núñez",
        to_address=to,
        subject="Su guía",
        text=text,
        html=html,
        msg_id="<guide.1.abc@example.org>",
        unsubscribe_url="https://example.org/unsubscribe/T",
        unsubscribe_mailto_url="mailto:unsubscribe@example.org?subject=T",
        attachments=(compose.Attachment("guia.pdf", bytes(range(256)) * 40),),
        dkim=compose.Dkim("sel", "example.org", key) if key else None,
    )


def _headers(data: bytes) -> bytes:
    return data.partition(b"\r\n\r\n")[0]


@pytest.mark.parametrize("to", ["ana@ejemplo.es", "josé@ejemplo.es"])
def test_the_variant_changes_only_the_8bit_text_parts_encoding(to):
    built = _build(to)
    assert built.quoted is not None
    quoted = built.quoted()
    assert _headers(quoted) == _headers(built.data)  # Message-ID, Date, To... all as they were
    assert quoted.partition(b"\r\n\r\n")[2].isascii()
    eight, seven = (
        email.message_from_bytes(d, policy=email.policy.default) for d in (built.data, quoted)
    )
    for subtype in ("plain", "html"):
        assert eight.get_body((subtype,))["Content-Transfer-Encoding"] == "8bit"
        assert seven.get_body((subtype,))["Content-Transfer-Encoding"] == "quoted-printable"
        assert seven.get_body((subtype,)).get_content() == eight.get_body((subtype,)).get_content()
        wire = seven.get_body((subtype,)).get_payload()  # as it was written: lines of 76 at most
        assert "=C3=A9" in wire and max(map(len, wire.splitlines())) <= 76
    assert [a.get_content() for a in seven.iter_attachments()] == [
        a.get_content() for a in eight.iter_attachments()
    ]


def test_a_part_already_7bit_is_left_as_it_was():
    built = _build("ana@ejemplo.es", text=LONG)
    eight, seven = (
        email.message_from_bytes(d, policy=email.policy.default)
        for d in (built.data, built.quoted())
    )
    assert str(eight.get_body(("plain",))) == str(seven.get_body(("plain",)))
    assert seven.get_body(("html",))["Content-Transfer-Encoding"] == "quoted-printable"


def test_an_ascii_message_needs_no_variant():
    assert _build("ana@example.com", text="Hello", html="<p>Hello</p>").quoted is None


def test_the_variant_is_signed_again_and_both_verify():
    pem, record = _key()
    built = _build("ana@ejemplo.es", key=pem)
    quoted = built.quoted()
    assert quoted != built.data
    for data in (built.data, quoted):
        assert data.startswith(b"DKIM-Signature:")
        assert dkim.verify(data, dnsfunc=lambda name, timeout=5: record)
