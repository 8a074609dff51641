"""The local mailbox of the one-machine demo: an SMTP catcher that keeps what the service sends.

With ``SMTP_HOST`` unset, ``intake serve`` runs this server (aiosmtpd) on
loopback and the worker sends to it as to any SMTP server; each message is
kept as one ``.eml`` file (mode 0600) in ``instance/mailbox``, where staff
read it at ``/admin/mailbox``.  Reading parses the files with the standard
library; nothing here renders HTML (the view shows it in a sandboxed frame).

The files hold personal data like any copy of an email: erasing a person
removes the messages addressed to them (``forget``), and their subject-access
export lists them (``addressed_to``).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^\d{19}-\d{1,6}\.eml$")
_counter = threading.Lock()
_sequence = 0


@dataclass(frozen=True)
class Summary:
    """One message in the list."""

    id: str
    received: float
    sender: str
    to: str
    subject: str
    size: int

    def addresses(self) -> frozenset[str]:
        """The addresses on its To line, lower-cased, to compare with an account's or a person's."""
        return frozenset(addr.strip().lower() for _, addr in getaddresses([self.to]) if addr)


@dataclass(frozen=True)
class Part:
    """A part of a message to show or download."""

    content_type: str
    filename: str | None
    payload: bytes


@dataclass(frozen=True)
class Letter:
    """One message opened: its headers, its text and HTML parts, and its attachments."""

    summary: Summary
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[Part]


def store(folder: Path, data: bytes) -> str:
    """Keep one received message; its id (time-ordered)."""
    global _sequence
    folder.mkdir(parents=True, exist_ok=True)
    with _counter:
        _sequence += 1
        name = f"{time.time_ns():019d}-{_sequence % 1_000_000}.eml"
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)  # type: ignore[return-value]


def _summary(path: Path, message: EmailMessage) -> Summary:
    return Summary(
        id=path.name,
        received=int(path.name.split("-")[0]) / 1e9,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        size=path.stat().st_size,
    )


def list_messages(folder: Path, limit: int = 200) -> list[Summary]:
    """The newest messages first."""
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.iterdir() if _NAME.match(p.name)), reverse=True)
    return [_summary(path, _parse(path)) for path in names[:limit]]


def open_message(folder: Path, message_id: str) -> Letter | None:
    """One message by its id, or None (ids are file names checked against a strict pattern)."""
    if not _NAME.match(message_id):
        return None
    path = folder / message_id
    if not path.is_file():
        return None
    message = _parse(path)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        attachments.append(Part(part.get_content_type(), part.get_filename(), data))
    return Letter(
        summary=_summary(path, message),
        headers=[(key, str(value)) for key, value in message.items()],
        text=text.get_content() if text is not None else None,  # type: ignore[attr-defined]
        html=html.get_content() if html is not None else None,  # type: ignore[attr-defined]
        attachments=attachments,
    )


def withheld(letter: Letter) -> Letter:
    """The letter with only who, when and what about: for someone it was not sent to.

    A staff member's mail carries their set-your-password link; another admin
    who read it could take their account over.
    """
    keep = {"date", "from", "to", "subject"}
    headers = [(name, value) for name, value in letter.headers if name.lower() in keep]
    return Letter(letter.summary, headers, text=None, html=None, attachments=[])


def local_folder() -> Path | None:
    """This app's local mailbox, or None when its mail goes to a real SMTP server."""
    from flask import current_app

    if not current_app.config.get("LOCAL_MAILBOX"):
        return None
    return Path(current_app.config["MAILBOX_DIR"])


def _addressed_to(folder: Path | None, address: str) -> list[tuple[Path, Summary]]:
    if folder is None or not folder.is_dir():
        return []
    wanted = address.strip().lower()
    found = []
    for path in sorted(p for p in folder.iterdir() if _NAME.match(p.name)):
        with path.open("rb") as handle:
            headers = BytesParser(policy=policy.default).parse(handle, headersonly=True)
        summary = _summary(path, headers)  # type: ignore[arg-type]
        if wanted in summary.addresses():
            found.append((path, summary))
    return found


def addressed_to(address: str, folder: Path | None = None) -> list[Summary]:
    """The messages kept for this address, oldest first (this app's mailbox by default)."""
    return [summary for _, summary in _addressed_to(folder or local_folder(), address)]


def forget(address: str, folder: Path | None = None) -> int:
    """Delete every message kept for this address (an erasure); how many went."""
    found = _addressed_to(folder or local_folder(), address)
    for path, _ in found:
        path.unlink(missing_ok=True)
    return len(found)


class _Handler:
    """aiosmtpd handler: accept every message and keep it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        store(self.folder, envelope.original_content or envelope.content)
        return "250 2.0.0 Kept in the local mailbox"


def start(folder: Path, host: str, port: int) -> Any:
    """Start the catcher in a thread of this process; returns its controller (``.stop()``)."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every command at INFO, recipients' addresses included: never personal data
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(_Handler(folder), hostname=host, port=port, data_size_limit=25 << 20)
    try:
        controller.start()
    except BaseException:
        controller.loop.close()  # a port in use: aiosmtpd leaves its loop open, which warns at exit
        raise
    return controller


def serve(controller: Any) -> None:
    """Keep a started catcher running until SIGTERM or Ctrl-C (``intake mailbox serve``)."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
