"""An attachment arrives byte for byte, in base64 lines of 76 characters (RFC 2045)."""

from __future__ import annotations

import email
import email.policy
import os

import pytest

from intake.mail import compose


def _with(content: bytes) -> bytes:
    return compose.build(
        mail_from="Patient Support <support@example.org>",
        to_name="Reader",
        to_address="reader@example.com",
        subject="Your guide",
        text="Hello",
        html="<p>Hello</p>",
        msg_id=compose.message_id("test", 1, 2, "example.org"),
        unsubscribe_url="https://example.org/unsubscribe/TOKEN",
        unsubscribe_mailto_url=compose.unsubscribe_mailto("a <support@example.org>", "TOKEN"),
        attachments=(compose.Attachment("guide.pdf", content),),
    ).data


@pytest.mark.parametrize("size", [0, 1, 57, 58, 200_000])
def test_the_attachment_arrives_byte_for_byte(size):
    content = os.urandom(size)
    data = _with(content)
    message = email.message_from_bytes(data, policy=email.policy.default)
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "guide.pdf"
    assert attachment.get_content() == content
    body = data.split(b'filename="guide.pdf"', 1)[1].split(b"\r\n\r\n", 1)[1]
    lines = body.split(b"\r\n--", 1)[0].split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert b"\n" not in data.replace(b"\r\n", b"")
