"""An attachment arrives byte for byte, in base64 lines of 76 characters (RFC 2045)."""

from __future__ import annotations

import email
import email.policy
import os

import pytest

from intake.mail import compose


def _with(content: bytes, shared_prefix: bytes = b"") -> bytes:
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
        attachments=(compose.Attachment("guide.pdf", content, shared_prefix=shared_prefix),),
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


def _attachment_lines(data: bytes) -> bytes:
    return data.split(b'filename="guide.pdf"', 1)[1].split(b"\r\n--", 1)[0]


@pytest.mark.parametrize("prefix_size", [0, 56, 57, 58, 57 * 100, 57 * 100 + 3, 20_000])
def test_a_shared_prefix_reused_encodes_exactly_as_the_whole(prefix_size):
    """The guide's day base is encoded once per process; every message is still exact."""
    base = os.urandom(prefix_size)
    for own in (os.urandom(1_000), os.urandom(57), b""):
        whole, reused = _with(base + own), _with(base + own, shared_prefix=base)
        assert _attachment_lines(reused) == _attachment_lines(whole)
    again = _with(base + b"another reader", shared_prefix=base)  # found in the cache now
    assert _attachment_lines(again) == _attachment_lines(_with(base + b"another reader"))


def test_a_prefix_the_content_does_not_start_with_is_ignored():
    content = os.urandom(5_000)
    wrong = _with(content, shared_prefix=os.urandom(3_000))
    assert _attachment_lines(wrong) == _attachment_lines(_with(content))
