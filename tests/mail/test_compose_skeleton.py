"""The skeleton-built message is the email package's own message, boundaries aside."""

from __future__ import annotations

import email
import email.policy
import os
import re

import pytest

from intake.mail import compose
from intake.mail.compose import Address

BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _normalised(data: bytes) -> bytes:
    """Boundaries (random per message) replaced by their order of appearance."""
    for n, boundary in enumerate(BOUNDARY.findall(data)):
        data = data.replace(boundary, b"BOUNDARY-%d" % n)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: (the date)\r\n", data)


CASES = [
    ("María López", "maria@example.com", "Hello María,\nyour guide is attached.\n", "<p>Hi</p>"),
    ("Robert O'Neil", "robert.oneil@example.com", "Plain ASCII text", "<p>Plain</p>"),
    (None, "no.name@example.com", "Lines:\n.one starting with a dot\n..two\n", "<p>.</p>"),
    ("张伟", "zhang@example.com", "你好\r\nmixed\rline ends\n", "<p>你好</p>"),
    ("A" * 120 + " Very Long Name", "long@example.com", "x" * 2000, "<p>" + "y" * 3000),
]


@pytest.mark.parametrize(("name", "address", "text", "html"), CASES)
@pytest.mark.parametrize("attachments", [0, 1, 2])
def test_the_skeleton_message_is_the_packages_message(name, address, text, html, attachments):
    files = tuple(
        compose.Attachment(f"file{n}.pdf", os.urandom(5_000 + n)) for n in range(attachments)
    )
    arguments = {
        "mail_from": "Mesothelioma Patient Support <support@example.org>",
        "subject": "Your free mesothelioma guide",
        "text": text,
        "html": html,
        "msg_id": compose.message_id("guide", 7, 9, "example.org"),
        "attachments": files,
    }
    unsubscribe = "<https://support.example.org/unsubscribe/TOKEN>, <mailto:u@example.org?s=T>"
    built = compose.build(
        to_name=name,
        to_address=address,
        unsubscribe_url="https://support.example.org/unsubscribe/TOKEN",
        unsubscribe_mailto_url="mailto:u@example.org?s=T",
        **arguments,
    )
    whole, clean = compose._whole(
        arguments["mail_from"], Address(name or "", addr_spec=address), arguments["subject"],
        "Sun, 29 Nov 2026 18:00:00 GMT", arguments["msg_id"], unsubscribe, text, html, files,
    )  # fmt: skip
    assert _normalised(built.data) == _normalised(whole)
    assert built.clean == clean
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == address
    assert [a.get_content() for a in message.iter_attachments()] == [f.content for f in files]


def test_an_unsubscribe_header_too_long_for_one_line_goes_the_packages_whole_way():
    url = "https://support.example.org/unsubscribe/" + "T" * 1000
    built = compose.build(
        mail_from="Support <support@example.org>",
        to_name="Ana",
        to_address="ana@example.com",
        subject="Guide",
        text="Hello",
        html="<p>Hello</p>",
        msg_id="<a@example.org>",
        unsubscribe_url=url,
        unsubscribe_mailto_url="mailto:u@example.org",
    )
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    assert url in str(message["List-Unsubscribe"]).replace(" ", "")


@pytest.mark.parametrize("subtype", ["plain", "html"])
@pytest.mark.parametrize(
    "content",
    [
        "Dear María,\n\nThank you for asking for our guide.\n",
        "plain ascii\nline two",
        "",
        "a line longer than the limit " * 40,
        "lone\rends\r\nand\n\nblank lines",
        ".a dot line\n..and two",
        "other scripts: 中文, русский, 😀\n",
        "trailing spaces   \nand a tab\t",
        "\u2028line and paragraph separators\u2029",
    ],
)
def test_a_text_part_is_byte_for_byte_what_the_email_package_writes(content, subtype):
    assert compose._text_part(content, subtype) == compose._text_part_whole(content, subtype)
