"""Build a message as the spec wants every email: text and HTML, unsubscribe headers, DKIM.

Every email a person receives has a plain-text and an HTML part, a working
unsubscribe link in its footer, ``List-Unsubscribe`` (an https URL with a
signed token, and a ``mailto:``) and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058), and a ``Message-ID`` derived from
the request and purpose, so a message can be recognised again.  With a DKIM
key configured the message is signed, the unsubscribe headers included.

Any server can take it: a message whose text is not ASCII carries its own
quoted-printable variant (``Outgoing.quoted``, made only for a server
without 8BITMIME: same headers, same Message-ID), an address's non-ASCII
domain is written as IDNA, and an address whose local part is not ASCII
is written in UTF-8 (RFC 6532) for the transport to send with SMTPUTF8.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from urllib.parse import quote

from intake.lru import Lru
from intake.mail.transport import ascii_domain, is_clean

SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip


# Long header lines are allowed up to 998 characters (RFC 5322): folding the unsubscribe
# header at 78 would make the email package encode its URLs as RFC 2047 words, which
# mail clients do not read as links.
_POLICY = SMTP.clone(max_line_length=998)
# headers in UTF-8, for a message to or from an address with a non-ASCII local part (SMTPUTF8)
_POLICY_UTF8 = _POLICY.clone(utf8=True)
# quoted-printable lines are at most 76 characters (RFC 2045), whatever the headers may be
_QUOTED_POLICY = SMTP.clone(max_line_length=76)


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
    # the same message with its 8-bit text parts as quoted-printable (None: it has none)
    quoted: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)


def domain_of(mail_from: str) -> str:
    """The domain part of ``MAIL_FROM`` ("Name <a@example.org>" -> "example.org")."""
    address = ascii_domain(parseaddr(mail_from)[1])
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
    """Compose the message and, with a key, sign it; the envelope sender is MAIL_FROM's address.

    Built from a skeleton (``_Skeleton``); a value the skeleton cannot take
    as it is (a very long unsubscribe header) goes the email package's
    whole way instead.
    """
    date = formatdate(localtime=False, usegmt=True)
    unsubscribe = f"<{unsubscribe_url}>, <{unsubscribe_mailto_url}>"
    to = _address(to_name or "", to_address)
    try:
        skeleton = _skeleton(mail_from, subject, tuple(_shape(item) for item in attachments))
        policy = _POLICY_UTF8 if not to.username.isascii() else _POLICY
        data, clean = skeleton.fill(
            to_line=policy.header_factory("To", to).fold(policy=policy),
            date=date,
            msg_id=msg_id,
            unsubscribe=unsubscribe,
            parts=(_text_part(text, "plain"), _text_part(html, "html")),
            attachments=tuple(_attachment_base64(item) for item in attachments),
        )
    except ValueError:  # UnicodeError included
        data, clean = _whole(
            mail_from, to, subject, date, msg_id, unsubscribe, text, html, attachments
        )
    quoted = None
    if not (text.isascii() and html.isascii()):
        quoted = functools.partial(_quoted, data, ((text, "plain"), (html, "html")), dkim)
    if dkim is not None:
        signed = _sign(data, dkim)
        clean = clean and is_clean(signed[: len(signed) - len(data)])
        data = signed
    sender = ascii_domain(parseaddr(mail_from)[1])
    return Outgoing(sender, to.addr_spec, msg_id, data, clean, quoted)


def _address(name: str, address: str) -> Address:
    """The address for a header: its domain as IDNA, its local part as it is (UTF-8 or not)."""
    local, _, domain = ascii_domain(address).rpartition("@")
    if local.isascii():
        return Address(name, addr_spec=f"{local}@{domain}")
    # the package refuses a non-ASCII local part in an addr_spec, not as a username
    return Address(name, username=local, domain=domain)


def _sender(mail_from: str) -> str | Address:
    """MAIL_FROM for the From header: as it is when ASCII, else with ``_address``'s rules."""
    if mail_from.isascii():
        return mail_from
    name, address = parseaddr(mail_from)
    return _address(name, address)


def _quoted(unsigned: bytes, texts: tuple[tuple[str, str], ...], dkim: Dkim | None) -> bytes:
    """The message with its 8-bit text parts as quoted-printable, and signed again.

    For a server that does not offer 8BITMIME (RFC 6152): every header
    stays as it was (the Message-ID and the Date too), only those parts'
    encoding changes, so the DKIM signature is made again over the new body.
    """
    data = unsigned
    for content, subtype in texts:
        part = _text_part(content, subtype)
        if part.isascii():
            continue  # 7bit, or already quoted-printable or base64 (long lines)
        if part not in data:
            raise ValueError("the message does not hold its own text part")
        data = data.replace(part, _text_part_whole(content, subtype, quoted=True), 1)
    return _sign(data, dkim) if dkim is not None else data


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


def _whole(
    mail_from: str,
    to: Address,
    subject: str,
    date: str,
    msg_id: str,
    unsubscribe: str,
    text: str,
    html: str,
    attachments: tuple[Attachment, ...],
) -> tuple[bytes, bool]:
    """The message made by the email package from start to end (what a skeleton stands for)."""
    international = not (to.username.isascii() and parseaddr(mail_from)[1].isascii())
    message = EmailMessage(policy=_POLICY_UTF8 if international else _POLICY)
    message["From"] = _sender(mail_from)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = msg_id
    message["List-Unsubscribe"] = unsubscribe
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
    return data, clean


def _shape(item: Attachment) -> tuple[str, str, str]:
    return (item.filename, item.maintype, item.subtype)


def _text_part(content: str, subtype: str) -> bytes:
    """One text part as the email package writes it (its encoding chosen by the package).

    The HTML part, which ``add_alternative`` makes as a message of its own,
    carries a ``MIME-Version`` as the package writes it there.  Text whose
    lines all fit the policy's limit is sent as it is (``7bit`` when ASCII,
    else ``8bit``: the package's own choice for it), under the headers the
    package wrote for that case, and its lines joined with CRLF as the
    package joins them: the package's header objects and generator were
    about a twentieth of a guide email's CPU.  Other text goes the
    package's whole way (``tests/mail`` compares the two, byte for byte).
    """
    lines = content.encode("utf-8").splitlines()
    if lines and max(map(len, lines)) <= (_POLICY.max_line_length or 0):
        cte = "7bit" if content.isascii() else "8bit"
        return _part_head(subtype, cte) + b"\r\n".join(lines) + b"\r\n"
    return _text_part_whole(content, subtype)


def _text_part_whole(content: str, subtype: str, quoted: bool = False) -> bytes:
    """The part as the package writes it; ``quoted``: as quoted-printable, lines of 76 at most."""
    policy = _QUOTED_POLICY if quoted else _POLICY
    part = EmailMessage(policy=policy) if subtype == "html" else MIMEPart(policy=policy)
    part.set_content(
        content, subtype=subtype, charset="utf-8", cte="quoted-printable" if quoted else None
    )
    return part.as_bytes()


@functools.cache
def _part_head(subtype: str, cte: str) -> bytes:
    """The headers (and blank line) the package writes for a text part of this encoding."""
    written = _text_part_whole("x" if cte == "7bit" else "\u00e9", subtype)
    head, _, body = written.partition(b"\r\n\r\n")
    assert f"Content-Transfer-Encoding: {cte}".encode() in head, head
    return head + b"\r\n\r\n"


class _Skeleton:
    """A message's structure and fixed headers, flattened once, with stand-ins for the rest.

    Why: the email package parses every header it is given into objects and
    folds it again when it writes, for the fixed ones (From, Subject, each
    part's Content-Type...) too; that was about 2 ms of every guide email.
    The skeleton is built by the package once per sender, subject and
    attachment names, with stand-ins for the To line, the Date, the
    Message-ID, the unsubscribe header, the two text parts and the
    attachments' base64; ``fill`` puts each message's own values in, each
    made by the package too (the To line, the text parts) or plain ASCII
    (the others, checked).  ``tests/mail`` compares the result with the
    package's own message, boundaries aside.
    """

    def __init__(self, mail_from: str, subject: str, shapes: tuple[tuple[str, str, str], ...]):
        token = secrets.token_hex(12)
        self.to_addr, self.msg_id = f"to{token}", f"id{token}"
        self.unsubscribe = f"<https://{token}.invalid/u>, <mailto:u@{token}.invalid>"
        self.parts = [f"part{n}{token}" for n in range(2)]
        international = not parseaddr(mail_from)[1].isascii()
        message = EmailMessage(policy=_POLICY_UTF8 if international else _POLICY)
        message["From"] = _sender(mail_from)
        message["To"] = f"{self.to_addr}@stand-in.invalid"
        message["Subject"] = subject
        message["Date"] = formatdate(0, usegmt=True)  # the whole line is replaced
        message["Message-ID"] = f"<{self.msg_id}@stand-in.invalid>"
        message["List-Unsubscribe"] = self.unsubscribe
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.parts[0], subtype="plain", charset="utf-8")
        message.add_alternative(self.parts[1], subtype="html", charset="utf-8")
        self.attachments: list[bytes] = []
        for filename, maintype, subtype in shapes:
            stand_in = secrets.token_hex(24).encode()  # its base64 occurs nowhere else
            message.add_attachment(stand_in, maintype=maintype, subtype=subtype, filename=filename)
            self.attachments.append(base64.b64encode(stand_in))
        self.data = message.as_bytes()
        self.clean = is_clean(self.data)
        self.to_line = f"To: {self.to_addr}@stand-in.invalid\r\n".encode()
        at = self.data.index(b"\r\nDate: ") + 2
        self.date_line = self.data[at : self.data.index(b"\r\n", at) + 2]
        if self.to_line not in self.data:
            raise ValueError("the email package wrote the skeleton's To line otherwise")
        self.part_spans = [self._span(name.encode()) for name in self.parts]

    def _span(self, token: bytes) -> bytes:
        """The whole stand-in part (its headers and body) between its boundary lines."""
        at = self.data.index(token)
        begin = self.data.rindex(b"\r\n--", 0, at)
        begin = self.data.index(b"\r\n", begin + 2) + 2  # after the boundary line
        end = self.data.index(b"\r\n--", at)  # the delimiter's own line break
        return self.data[begin:end]

    def fill(
        self,
        to_line: str,
        date: str,
        msg_id: str,
        unsubscribe: str,
        parts: tuple[bytes, bytes],
        attachments: tuple[bytes, ...],
    ) -> tuple[bytes, bool]:
        """The message with this reader's values; whether it is clean (``is_clean``)."""
        plain = (date, msg_id, unsubscribe)
        if any(not value.isascii() or "\r" in value or "\n" in value for value in plain):
            raise ValueError("a header value is not one line of ASCII")
        if len(unsubscribe) > 980:
            raise ValueError("the unsubscribe header is too long for one line")
        to = to_line.encode()  # UTF-8 only for a non-ASCII local part (``build``)
        data = self.data.replace(self.to_line, to, 1)
        data = data.replace(self.date_line, f"Date: {date}\r\n".encode(), 1)
        data = data.replace(f"<{self.msg_id}@stand-in.invalid>".encode(), msg_id.encode(), 1)
        data = data.replace(self.unsubscribe.encode(), unsubscribe.encode(), 1)
        for span, part in zip(self.part_spans, parts, strict=True):
            data = data.replace(span, part, 1)
        clean = self.clean and is_clean(to) and all(is_clean(part) for part in parts)
        for stand_in, lines in zip(self.attachments, attachments, strict=True):
            data = data.replace(stand_in, lines, 1)  # base64 lines: clean as they are
        return data, clean


_SKELETONS: Lru[tuple[str, str, tuple[tuple[str, str, str], ...]], _Skeleton] = Lru(16)


def _skeleton(mail_from: str, subject: str, shapes: tuple[tuple[str, str, str], ...]) -> _Skeleton:
    key = (mail_from, subject, shapes)
    found, skeleton = _SKELETONS.get(key)
    if found and skeleton is not None:
        return skeleton
    return _SKELETONS.put(key, _Skeleton(mail_from, subject, shapes))


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
    to = _address("", to_address)
    local = (
        to.username if to.username.isascii() else hashlib.sha256(to.username.encode()).hexdigest()
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    msg_id = f"<alert.{digest}.{local[:8]}@{domain_of(mail_from)}>"
    date = formatdate(localtime=False, usegmt=True)
    made = functools.partial(_plain, mail_from, to, subject, text, date, msg_id)
    return Outgoing(
        ascii_domain(parseaddr(mail_from)[1]),
        to.addr_spec,
        msg_id,
        made(quoted=False),
        quoted=None if text.isascii() else functools.partial(made, quoted=True),
    )


def _plain(
    mail_from: str, to: Address, subject: str, text: str, date: str, msg_id: str, quoted: bool
) -> bytes:
    international = not (to.username.isascii() and parseaddr(mail_from)[1].isascii())
    policy = _QUOTED_POLICY if quoted else _POLICY  # its headers are short either way
    message = EmailMessage(policy=policy.clone(utf8=True) if international else policy)
    message["From"], message["To"], message["Subject"] = _sender(mail_from), to, subject
    message["Date"], message["Message-ID"] = date, msg_id
    message.set_content(text, charset="utf-8", cte="quoted-printable" if quoted else None)
    return message.as_bytes()
