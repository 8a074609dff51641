"""The chaos run's SMTP server: notes every message it takes, and misbehaves on command.

    python -m bench.chaos_sink --port 2599 --record /tmp/sink.jsonl --control /tmp/sink.json

In its own process (the bench kills workers, never this).  Every answered
DATA is one JSON line in ``--record``, written and flushed before the
answer goes out, so the file holds what the server took even if a reader
looks while it runs:

    {"t": 1764950000.1, "id": "<...@...>", "to": "a@example.com", "answer": "250",
     "offers": "8bit+utf8"}

``answer`` is ``250`` (taken), ``451`` (refused for now: not delivered,
the client must retry), ``drop`` (taken, then the connection closed with
no answer: the client cannot know the message arrived, the known
duplicate window) or a 5xx refusal (the client broke what was offered).

What it does is read from the ``--control`` JSON file whenever it changes:

    {"refuse_share": 0.2, "drop_budget": 3}

``refuse_share`` of messages get 451 after their DATA; ``drop_budget`` is
how many messages in all (over the whole run) may be dropped after DATA:
the next ones are, until the count is reached.  Each connection is offered
one of the four 8BITMIME/SMTPUTF8 combinations in turn (``Offers`` from
``smtp_sink.py``, held to as strictly as that server holds them), so the
senders meet every kind of server.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.smtp_sink import Offers

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)
_END_OF_DATA = b"\r\n.\r\n"
COMBINATIONS = [Offers(True, True), Offers(True, False), Offers(False, True), Offers(False, False)]


def describe(offers: Offers) -> str:
    return "+".join(["8bit" if offers.eightbitmime else "7bit"] + ["utf8"] * offers.smtputf8)


@dataclass
class Mood:
    """What the server does now, from the control file."""

    path: Path
    refuse_share: float = 0.0
    drop_budget: int = 0
    dropped: int = 0
    seen: float = field(default=-1.0)
    rng: random.Random = field(default_factory=lambda: random.Random(26))

    def refresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if stamp == self.seen:
            return
        try:
            wanted = json.loads(self.path.read_text())
        except ValueError:  # caught mid-write: next time
            return
        self.seen = stamp
        self.refuse_share = float(wanted.get("refuse_share", 0.0))
        self.drop_budget = int(wanted.get("drop_budget", 0))

    def answer(self) -> str:
        """This message's fate: "250", "451" or "drop"."""
        self.refresh()
        if self.dropped < self.drop_budget:
            self.dropped += 1
            return "drop"
        if self.refuse_share and self.rng.random() < self.refuse_share:
            return "451"
        return "250"


class Recorder:
    def __init__(self, path: Path) -> None:
        self.out = path.open("a", buffering=1)

    def note(self, message_id: str, to: str, answer: str, offers: Offers) -> None:
        line = {"t": round(time.time(), 6), "id": message_id, "to": to, "answer": answer,
                "offers": describe(offers)}  # fmt: skip
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()


async def _session(
    recorder: Recorder, mood: Mood, offers: Offers, reader: Any, writer: Any
) -> None:
    writer.write(b"220 chaos sink ESMTP\r\n")
    utf8, recipient = False, ""
    try:
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                content = await reader.readuntil(_END_OF_DATA)
                found = _MESSAGE_ID.search(content[:8192])
                message_id = found.group(1).decode() if found else "-"
                if not offers.takes(content, utf8):
                    recorder.note(message_id, recipient, "554", offers)
                    writer.write(b"554 5.6.0 8-bit data without 8BITMIME\r\n")
                else:
                    fate = mood.answer()
                    recorder.note(message_id, recipient, fate, offers)
                    if fate == "drop":  # taken, and the client never hears so
                        writer.transport.abort()
                        return
                    reply = (
                        b"451 4.3.0 try again later\r\n" if fate == "451" else b"250 2.0.0 OK\r\n"
                    )
                    writer.write(reply)
                utf8, recipient = False, ""
            elif verb == b"EHLO":
                writer.write(offers.ehlo())
            elif verb == b"MAIL":
                reply, utf8 = offers.mail(line)
                writer.write(reply)
            elif verb == b"RCPT":
                if not line.isascii() and not utf8:
                    writer.write(b"553 5.6.7 a non-ASCII address needs SMTPUTF8\r\n")
                else:
                    recipient = line.decode("utf-8", "replace").split(":", 1)[1].strip()
                    recipient = recipient.split()[0].strip("<>").lower() if recipient else ""
                    writer.write(b"250 2.1.5 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                break
            elif verb in (b"RSET", b"NOOP", b"HELO"):
                utf8 = utf8 and verb != b"RSET"
                writer.write(b"250 sink\r\n" if verb == b"HELO" else b"250 2.0.0 OK\r\n")
            else:
                writer.write(b"502 5.5.2 Not implemented\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def serve(port: int, record: Path, control: Path, stopped: threading.Event) -> None:
    """Answer SMTP on ``port`` until ``stopped``; each connection offered the next combination."""
    recorder, mood = Recorder(record), Mood(control)
    turns = itertools.cycle(COMBINATIONS)

    async def run() -> None:
        server = await asyncio.start_server(
            lambda r, w: _session(recorder, mood, next(turns), r, w),
            "127.0.0.1",
            port,
            limit=2**27,
        )
        async with server:
            while not stopped.is_set():
                await asyncio.sleep(0.2)

    asyncio.run(run())


class Control:
    """The bench's side: tell the sink what to do, read back what it took."""

    def __init__(self, control: Path, record: Path) -> None:
        self.control, self.record = control, record
        self.wanted = {"refuse_share": 0.0, "drop_budget": 0}
        self.set()

    def set(self, **wanted: float) -> None:
        self.wanted.update(wanted)
        partial = self.control.with_suffix(".tmp")
        partial.write_text(json.dumps(self.wanted))
        os.replace(partial, self.control)  # whole or not at all, as the sink reads it

    def records(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True, help="JSON lines, one a message")
    parser.add_argument("--control", type=Path, required=True, help="the JSON file it obeys")
    args = parser.parse_args()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    serve(args.port, args.record, args.control, stopped)


if __name__ == "__main__":
    main()
