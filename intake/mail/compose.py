"""Build a message as the spec wants every email: text and HTML, unsubscribe headers, DKIM.

Every email a person receives has a plain-text and an HTML part, a working
unsubscribe link in its footer, ``List-Unsubscribe`` (an https URL with a
signed token, and a ``mailto:``) and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058), and a ``Message-ID`` derived from
the request and purpose, so a message can be recognised again.  With a DKIM
key configured the message is signed, the unsubscribe headers included.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from urllib.parse import quote

from intake.lru import Lru
from intake.mail.transport import is_clean

SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip


# Long header lines are allowed up to 998 characters (RFC 5322): folding the unsubscribe
# header at 78 would make the email package encode its URLs as RFC 2047 words, which
# mail clients do not read as links.
_POLICY = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message."""

    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"
    # where ``content`` starts with bytes many messages share (a guide's day base): their
    # base64 is kept and reused instead of encoded again for every message
    shared_prefix: bytes = b""


@dataclass(frozen=True)
class Dkim:
    """A DKIM signing key for the sender's domain."""

    selector: str
    domain: str
    private_key: bytes


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the transport: envelope and the exact bytes to send."""

    sender: str
    recipient: str
    message_id: str
    data: bytes
    # CRLF line ends only and no line starting with a dot: the transport sends it as it is
    clean: bool = False


def domain_of(mail_from: str) -> str:
    """The domain part of ``MAIL_FROM`` ("Name <a@example.org>" -> "example.org")."""
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(purpose: str, request_id: int, contact_id: int, domain: str) -> str:
    """The same Message-ID for the same purpose, request and recipient, every time."""
    digest = hashlib.sha256(f"{purpose}:{request_id}:{contact_id}".encode()).hexdigest()[:16]
    return f"<{purpose}.{request_id}.{digest}@{domain}>"


def unsubscribe_mailto(mail_from: str, token: str) -> str:
    """A mailto: unsubscribe address with the token in the subject (RFC 2369)."""
    return f"mailto:unsubscribe@{domain_of(mail_from)}?subject={quote('unsubscribe ' + token)}"


def build(
    *,
    mail_from: str,
    to_name: str | None,
    to_address: str,
    subject: str,
    text: str,
    html: str,
    msg_id: str,
    unsubscribe_url: str,
    unsubscribe_mailto_url: str,
    attachments: tuple[Attachment, ...] = (),
    dkim: Dkim | None = None,
) -> Outgoing:
    """Compose the message and, with a key, sign it; the envelope sender is MAIL_FROM's address."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = mail_from
    message["To"] = Address(display_name=to_name or "", addr_spec=to_address)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = msg_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{unsubscribe_mailto_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    stand_ins = {}
    for item in attachments:
        stand_in = secrets.token_hex(24).encode()  # its base64 occurs nowhere else
        message.add_attachment(
            stand_in, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
        stand_ins[base64.b64encode(stand_in)] = item
    data = message.as_bytes()
    clean = is_clean(data)  # before the attachments' base64 lines, which keep it so
    for stand_in, attached in stand_ins.items():
        data = data.replace(stand_in, _attachment_base64(attached), 1)
    if dkim is not None:
        signed = _sign(data, dkim)
        clean = clean and is_clean(signed[: len(signed) - len(data)])
        data = signed
    return Outgoing(parseaddr(mail_from)[1], to_address, msg_id, data, clean)


_SHARED_BASE64: Lru[bytes, bytes] = Lru(48)  # a day base -> its base64 lines (DAY_ENTRIES)


def _attachment_base64(item: Attachment) -> bytes:
    """The attachment's base64 lines, its shared prefix's lines reused when known.

    Why: a guide is its day's base (about 270 KB, the same for every reader
    of that variant that day) and a small update; encoding the base took
    about 1.2 ms of every email.  The prefix is cut at a multiple of 57
    bytes (one 76-character line), so its lines and the rest's join
    exactly as one encoding would.  A ``bytes`` key hashes once and is then
    found by identity: the renderer hands the same base object every time.
    """
    prefix = item.shared_prefix
    cut = len(prefix) - len(prefix) % 57
    if cut == 0 or not item.content.startswith(prefix):
        return _base64_lines(item.content)
    found, head = _SHARED_BASE64.get(prefix)
    if not found or head is None:
        head = _SHARED_BASE64.put(prefix, _base64_lines(prefix[:cut]))
    rest = item.content[cut:]
    return head + b"\r\n" + _base64_lines(rest) if rest else head


def _base64_lines(content: bytes) -> bytes:
    """Base64 in lines of 76 characters joined by CRLF, as the email package writes it.

    The attachment is encoded here and put in place of a stand-in after the
    message is flattened: the email package's generator rescans every line
    of a guide's 200 KB of base64 as it writes it, and encodes 57 bytes per
    Python call (together about 3 ms per email).
    """
    encoded = base64.b64encode(content)
    return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _sign(data: bytes, key: Dkim) -> bytes:
    import dkim

    signature = dkim.sign(
        data,
        key.selector.encode(),
        key.domain.encode(),
        key.private_key,
        include_headers=list(SIGNED_HEADERS),
    )
    return bytes(signature) + data


def plain_message(mail_from: str, to_address: str, subject: str, text: str) -> Outgoing:
    """A short plain-text message to staff (alerts): no unsubscribe, no personal data."""
    message = EmailMessage(policy=_POLICY)
    message["From"], message["To"], message["Subject"] = mail_from, to_address, subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = (
        f"<alert.{hashlib.sha256(text.encode()).hexdigest()[:16]}.{to_address.split('@')[0][:8]}@{domain_of(mail_from)}>"
    )
    message.set_content(text, charset="utf-8")
    return Outgoing(
        parseaddr(mail_from)[1], to_address, str(message["Message-ID"]), message.as_bytes()
    )
