"""A local SMTP sink for benchmarks: accepts everything, notes when each Message-ID arrived.

    python -m bench.smtp_sink --port 2599 --log /tmp/sink.log [--server aiosmtpd]

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
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import threading
import time
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
    b"EHLO": b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n",
    b"HELO": b"250 sink\r\n",
    b"MAIL": b"250 2.1.0 OK\r\n",
    b"RCPT": b"250 2.1.5 OK\r\n",
    b"RSET": b"250 2.0.0 OK\r\n",
    b"NOOP": b"250 2.0.0 OK\r\n",
}


async def _lean_session(sink: Sink, reader: Any, writer: Any) -> None:
    """One client's SMTP conversation, DATA read up to its end line in one call."""
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                content = await reader.readuntil(_END_OF_DATA)
                found = _MESSAGE_ID.search(content[:8192])
                sink.log.write(f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n")
                writer.write(b"250 2.0.0 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(_REPLIES.get(verb, b"502 5.5.2 Not implemented\r\n"))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _serve_lean(sink: Sink, port: int, stopped: threading.Event) -> None:
    async def run() -> None:
        server = await asyncio.start_server(
            lambda r, w: _lean_session(sink, r, w), "127.0.0.1", port, limit=2**27
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
    args = parser.parse_args()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if args.server == "lean":
        _serve_lean(Sink(args.log), args.port, stopped)
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
