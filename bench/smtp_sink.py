"""A fast local SMTP sink for benchmarks: accepts everything, notes when each Message-ID arrived.

    python -m bench.smtp_sink --port 2599 --log /tmp/sink.log

Runs in its own process (so its parsing does not share a GIL with the
benchmark), appends "<unix time> <Message-ID>" per accepted message to the
log, and keeps nothing else.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(Sink(args.log), hostname="127.0.0.1", port=args.port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
