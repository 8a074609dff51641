"""A real SMTP server in the test process (aiosmtpd), scripted to answer as real servers do.

Tests read back what it received, and can make it refuse a recipient, answer
4xx to the end of DATA a few times, hold its final reply (to kill a worker
while it waits), or drop the connection after the message was sent.  It
offers 8BITMIME and SMTPUTF8 as its script says, and then holds a client to
what it offered, as a strict server does: BODY=8BITMIME, SMTPUTF8 or a
non-ASCII address that it did not offer is refused, and so is 8-bit data
without 8BITMIME.  ``envelopes`` keeps each accepted message's MAIL FROM
parameters and recipients.
"""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Envelope:
    """What an accepted message came with: MAIL FROM's address and parameters, RCPT TOs."""

    mail_from: str
    mail_options: list[str]
    rcpt_tos: list[str]


@dataclass
class Script:
    """How the server answers; each list is consumed one reply per message."""

    data_replies: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 Try again later"
    rcpt_refusals: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 ..."
    hold_seconds: float = 0.0  # wait this long before the final 250 (after storing)
    drop_after_data: int = 0  # close the connection instead of answering, this many times
    mail_refusals: list[str] = field(default_factory=list)  # e.g. "451 4.3.2 Not now"
    pipelining: bool = True  # offer PIPELINING (RFC 2920) in the EHLO reply, as real servers do
    eightbitmime: bool = True  # offer 8BITMIME (RFC 6152), as aiosmtpd does by default
    smtputf8: bool = False  # offer SMTPUTF8 (RFC 6531); aiosmtpd's Controller would by default


class SmtpSink:
    """aiosmtpd on a free port; ``messages`` holds what was accepted, parsed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.script = Script()
        self.raw: list[bytes] = []
        self.envelopes: list[Envelope] = []  # beside ``raw``, one each
        self.mail_commands: list[str] = []  # every MAIL FROM address given, accepted or not
        self.data_commands = 0
        self.sessions = 0  # EHLOs: how many connections a sender opened
        self._lock = threading.Lock()
        self._controller: Any = None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:  # noqa: N802
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        if self.script.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
        offered = {"250-8BITMIME": self.script.eightbitmime, "250-SMTPUTF8": self.script.smtputf8}
        return [line for line in responses if offered.get(line, True)]

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: N802
        with self._lock:
            self.mail_commands.append(address)
            refusal = self.script.mail_refusals.pop(0) if self.script.mail_refusals else None
        if refusal:
            return refusal
        if "BODY=8BITMIME" in options and not self.script.eightbitmime:
            return "555 5.5.4 BODY=8BITMIME was not offered"
        if not self.script.smtputf8 and ("SMTPUTF8" in options or not address.isascii()):
            return "553 5.6.7 SMTPUTF8 was not offered"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: N802,E501
        refusal = self.script.rcpt_refusals.get(address)
        if refusal:
            return refusal
        if not address.isascii() and not envelope.smtp_utf8:
            return "553 5.6.7 a non-ASCII address needs SMTPUTF8"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.data_commands += 1
            reply = self.script.data_replies.pop(0) if self.script.data_replies else None
            drop = self.script.drop_after_data > 0
            if drop:
                self.script.drop_after_data -= 1
        if reply:  # refused: nothing is kept
            return reply
        content = envelope.original_content
        # without BODY=8BITMIME, 7-bit only: the headers aside under SMTPUTF8 (RFC 6532)
        seven_bit = content.partition(b"\r\n\r\n")[2] if envelope.smtp_utf8 else content
        if "BODY=8BITMIME" not in envelope.mail_options and not seven_bit.isascii():
            return "554 5.6.0 8-bit data without BODY=8BITMIME"
        with self._lock:
            self.raw.append(content)
            self.envelopes.append(
                Envelope(envelope.mail_from, list(envelope.mail_options), list(envelope.rcpt_tos))
            )
        if drop:
            server.transport.close()  # the message was received; the reply never comes
            return "250 OK"
        if self.script.hold_seconds:
            await asyncio.sleep(self.script.hold_seconds)
        return "250 2.0.0 OK queued"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.raw)
        return [email.message_from_bytes(data, policy=policy.default) for data in raw]  # type: ignore[misc]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.raw) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.raw)} in {timeout} s")

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        # SMTPUTF8 on in aiosmtpd (its default), so that the EHLO hook decides if it is offered
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
