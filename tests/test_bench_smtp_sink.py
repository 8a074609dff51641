"""The benches' lean SMTP sink offers each kind of server, and the transport meets each one.

Run as the benches run it (``python -m bench.smtp_sink``), with and without
``--no-8bitmime`` and ``--smtputf8``: the log, one line per accepted message,
is what a bench counts.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake.mail import compose
from intake.mail.transport import ACCEPTED, NO_SMTPUTF8, PERMANENT, SmtpSettings, SmtpTransport
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]


def _message(to: str) -> compose.Outgoing:
    return compose.build(
        mail_from="Apoyo <apoyo@example.org>",
        to_name=None,
        to_address=to,
        subject="Su guía",
        text="la información",
        html="<p>la información</p>",
        msg_id=f"<{to.encode().hex()}@example.org>",
        unsubscribe_url="https://example.org/unsubscribe/T",
        unsubscribe_mailto_url="mailto:unsubscribe@example.org",
    )


def _ehlo(port: int) -> bytes:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.recv(100)
                conn.sendall(b"EHLO test\r\n")
                time.sleep(0.1)
                return conn.recv(1000)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize(
    ("flags", "offered"),
    [
        ([], [b"PIPELINING", b"8BITMIME"]),  # the default, as before
        (["--smtputf8"], [b"PIPELINING", b"8BITMIME", b"SMTPUTF8"]),
        (["--no-8bitmime"], [b"PIPELINING"]),
        (["--no-8bitmime", "--smtputf8"], [b"PIPELINING", b"SMTPUTF8"]),
    ],
    ids=["default", "smtputf8", "no-8bitmime", "no-8bitmime-smtputf8"],
)
def test_the_lean_sink_offers_what_it_is_told_and_logs_what_it_took(tmp_path, flags, offered):
    port, log = free_port(), tmp_path / "sink.log"
    command = [sys.executable, "-m", "bench.smtp_sink", "--port", str(port), "--log", str(log)]
    sink = subprocess.Popen([*command, *flags], cwd=ROOT)
    transport = SmtpTransport(SmtpSettings("127.0.0.1", port, timeout=5))
    try:
        ehlo = _ehlo(port)
        extensions = [line[4:] for line in ehlo.split(b"\r\n")[1:-2]]  # SIZE, last, aside
        assert extensions == offered
        outcomes = {}
        for to in ("ana@ejemplo.es", "josé@ejemplo.es", "luis@ejemplo.es"):
            message = _message(to)
            outcomes[to] = transport.send(
                message.sender, message.recipient, message.data, message.clean, message.quoted
            )
        # 8-bit data with no quoted-printable variant: refused without 8BITMIME, not logged
        raw = _message("ana@ejemplo.es").data
        careless = transport.send("apoyo@example.org", "ana@ejemplo.es", raw)
    finally:
        transport.close()
        sink.terminate()
        sink.wait(10)
    utf8 = "--smtputf8" in flags
    assert outcomes["ana@ejemplo.es"].kind == outcomes["luis@ejemplo.es"].kind == ACCEPTED
    if utf8:
        assert outcomes["josé@ejemplo.es"].kind == ACCEPTED
    else:
        assert (outcomes["josé@ejemplo.es"].kind, outcomes["josé@ejemplo.es"].note) == (
            PERMANENT, NO_SMTPUTF8,
        )  # fmt: skip
    logged = [line.split()[1] for line in log.read_text().splitlines()]
    expected = [_message(to).message_id for to in outcomes if to.isascii() or utf8]
    eight_bit_taken = "--no-8bitmime" not in flags
    assert careless.kind == (ACCEPTED if eight_bit_taken else PERMANENT)
    assert logged == expected + [_message("ana@ejemplo.es").message_id] * eight_bit_taken
