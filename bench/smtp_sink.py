"""A local SMTP sink for benchmarks: accepts everything, notes when each Message-ID arrived.

    python -m bench.smtp_sink --port 2599 --log /tmp/sink.log [--server aiosmtpd]
        [--no-8bitmime] [--smtputf8]

Runs in its own process (so its parsing does not share a GIL with the
benchmark), appends "<unix time> <Message-ID>" per accepted message to the
log, and keeps nothing else.

Two servers.  ``lean`` (the default) speaks the SMTP a client needs (EHLO,
MAIL, RCPT, DATA read in one piece up to the end-of-data line, RSET, NOOP,
QUIT), offers PIPELINING as Postfix and the big relays do, and stands in
for a mail server written for speed, as a real relay is.  ``aiosmtpd``
(the tests' server) reads DATA line by line in Python: about 7 ms of CPU
for a guide email's 270 KB, on the same 2 cores as the service it is
measuring, and the sending worker waits for it.

What the lean server offers: PIPELINING and 8BITMIME, not SMTPUTF8, unless
told (``--no-8bitmime``, ``--smtputf8``), so a run can meet each kind of
server.  It holds a client to what it offered, as a strict server does:
SMTPUTF8 or a non-ASCII address it did not offer is refused (553 5.6.7),
and without 8BITMIME so is ``BODY=8BITMIME`` (555) and 8-bit data (554
5.6.0; the headers of an SMTPUTF8 message aside).  A refused message is
not logged: to the bench it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, log_path: str) -> None:
        self.log = open(log_path, "a", buffering=1)  # noqa: SIM115 (lives as long as the process)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        head = envelope.original_content[:8192]
        found = _MESSAGE_ID.search(head)
        self.log.write(f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n")
        return "250 2.0.0 OK"


_END_OF_DATA = b"\r\n.\r\n"
_REPLIES = {
    b"HELO": b"250 sink\r\n",
    b"MAIL": b"250 2.1.0 OK\r\n",
    b"RCPT": b"250 2.1.5 OK\r\n",
    b"RSET": b"250 2.0.0 OK\r\n",
    b"NOOP": b"250 2.0.0 OK\r\n",
}


@dataclass(frozen=True)
class Offers:
    """The extensions the lean server offers beyond PIPELINING."""

    eightbitmime: bool = True
    smtputf8: bool = False

    def ehlo(self) -> bytes:
        lines = [b"sink", b"PIPELINING"]
        lines += [b"8BITMIME"] * self.eightbitmime + [b"SMTPUTF8"] * self.smtputf8
        lines.append(b"SIZE 104857600")
        return b"".join(b"250-%s\r\n" % line for line in lines[:-1]) + b"250 %s\r\n" % lines[-1]

    def mail(self, line: bytes) -> tuple[bytes, bool]:
        """MAIL FROM's reply, and whether the message goes with SMTPUTF8."""
        params = line.partition(b">")[2].upper().split()
        utf8 = b"SMTPUTF8" in params
        if utf8 and not self.smtputf8:
            return b"555 5.5.4 SMTPUTF8 was not offered\r\n", False
        if b"BODY=8BITMIME" in params and not self.eightbitmime:
            return b"555 5.5.4 BODY=8BITMIME was not offered\r\n", False
        if not line.isascii() and not utf8:
            return b"553 5.6.7 a non-ASCII address needs SMTPUTF8\r\n", False
        return _REPLIES[b"MAIL"], utf8

    def takes(self, content: bytes, utf8: bool) -> bool:
        """Whether DATA holds only what was offered: 7-bit without 8BITMIME."""
        if self.eightbitmime:
            return True
        return (content.partition(b"\r\n\r\n")[2] if utf8 else content).isascii()


async def _lean_session(sink: Sink, offers: Offers, reader: Any, writer: Any) -> None:
    """One client's SMTP conversation, DATA read up to its end line in one call."""
    writer.write(b"220 sink ESMTP\r\n")
    utf8 = False  # this transaction's MAIL FROM asked for SMTPUTF8
    try:
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                content = await reader.readuntil(_END_OF_DATA)
                if offers.takes(content, utf8):
                    found = _MESSAGE_ID.search(content[:8192])
                    stamp = f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n"
                    sink.log.write(stamp)
                    writer.write(b"250 2.0.0 OK\r\n")
                else:
                    writer.write(b"554 5.6.0 8-bit data without 8BITMIME\r\n")
                utf8 = False
            elif verb == b"EHLO":
                writer.write(offers.ehlo())
            elif verb == b"MAIL":
                reply, utf8 = offers.mail(line)
                writer.write(reply)
            elif verb == b"RCPT" and not line.isascii() and not utf8:
                writer.write(b"553 5.6.7 a non-ASCII address needs SMTPUTF8\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                break
            else:
                utf8 = utf8 and verb != b"RSET"
                writer.write(_REPLIES.get(verb, b"502 5.5.2 Not implemented\r\n"))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _serve_lean(sink: Sink, port: int, stopped: threading.Event, offers: Offers) -> None:
    async def run() -> None:
        server = await asyncio.start_server(
            lambda r, w: _lean_session(sink, offers, r, w), "127.0.0.1", port, limit=2**27
        )
        async with server:
            while not stopped.is_set():
                await asyncio.sleep(0.2)

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--server", choices=["lean", "aiosmtpd"], default="lean")
    parser.add_argument("--no-8bitmime", action="store_true", help="do not offer 8BITMIME (lean)")
    parser.add_argument("--smtputf8", action="store_true", help="offer SMTPUTF8 (lean)")
    args = parser.parse_args()
    offers = Offers(eightbitmime=not args.no_8bitmime, smtputf8=args.smtputf8)
    if args.server != "lean" and offers != Offers():
        parser.error("--no-8bitmime and --smtputf8 are for the lean server")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if args.server == "lean":
        _serve_lean(Sink(args.log), args.port, stopped, offers)
        return
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(Sink(args.log), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
