"""SMTP sending that knows when a message was handed over, so a failure can be classified.

What a failure means for "at most once" depends on when it happened: before
the end of the DATA payload nothing was accepted and a retry is safe; after
it, the server may already hold the message (it replies 250 after storing
it), so the outcome is unknown.  ``send`` says which, with the reply's code
and enhanced status code only (the text may quote the address).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass

ACCEPTED, TRANSIENT, PERMANENT, UNKNOWN = "accepted", "transient", "permanent", "unknown"
_ENHANCED = re.compile(rb"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Outcome:
    """What became of one send: ``kind`` is accepted, transient, permanent or unknown."""

    kind: str
    code: int | None = None
    status: str | None = None  # the enhanced status code, e.g. "5.1.1"
    stage: str = ""  # the step that answered or failed: connect, mail, rcpt, data, end

    @property
    def bad_mailbox(self) -> bool:
        """A permanent "no such mailbox / bad address" (5.1.x): the address must be suppressed."""
        about_recipient = self.stage in ("rcpt", "end")
        return self.kind == PERMANENT and about_recipient and (self.status or "").startswith("5.1.")

    def describe(self) -> str:
        """A short, personal-data-free note for staff (codes only)."""
        codes = " ".join(str(part) for part in (self.code, self.status) if part)
        return f"{self.kind} at {self.stage}" + (f" ({codes})" if codes else "")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect (spec section 4: SMTP_* from the environment)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0


class _Refused(Exception):
    def __init__(self, stage: str, code: int, reply: bytes) -> None:
        super().__init__(stage, code)
        self.stage, self.code, self.reply = stage, code, reply


class SmtpTransport:
    """One reusable connection per thread; reconnects when the server dropped an idle one."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._open: set[smtplib.SMTP] = set()  # every thread's, so ``close`` can end them all
        self._lock = threading.Lock()

    def send(self, sender: str, recipient: str, data: bytes, clean: bool = False) -> Outcome:
        """Hand one message to the server, once; never raises for SMTP or network failures.

        ``clean``: the composer knows the message has CRLF line ends only and
        no line starting with a dot, so the payload needs no checking.
        """
        reused = getattr(self._local, "conn", None) is not None
        outcome = self._attempt(sender, recipient, data, clean)
        if reused and outcome.kind == TRANSIENT and outcome.stage in ("connect", "mail"):
            outcome = self._attempt(sender, recipient, data, clean)  # the idle connection had died
        return outcome

    def _attempt(self, sender: str, recipient: str, data: bytes, clean: bool) -> Outcome:
        stage, handed_over = "connect", False
        try:
            conn = self._connection()
            stage = "mail"
            if conn.has_extn("pipelining"):
                self._envelope_pipelined(conn, sender, recipient)
            else:
                self._expect(conn.mail(sender), stage)
                stage = "rcpt"
                self._expect(conn.rcpt(recipient), stage)
                stage = "data"
                code, reply = conn.docmd("DATA")
                if code != 354:
                    raise _Refused(stage, code, reply)
            stage = "data"
            conn.send(_payload(data, clean))
            handed_over, stage = True, "end"
            code, reply = conn.getreply()
            if code != 250:
                raise _Refused(stage, code, reply)
            return Outcome(ACCEPTED, code, _status(reply), stage)
        except _Refused as refused:
            self._reset(hard=refused.code >= 500 and refused.stage == "connect")
            kind = PERMANENT if refused.code >= 500 and stage != "connect" else TRANSIENT
            return Outcome(kind, refused.code, _status(refused.reply), refused.stage)
        except (OSError, smtplib.SMTPException):
            self._reset(hard=True)
            return Outcome(UNKNOWN if handed_over else TRANSIENT, None, None, stage)

    def _envelope_pipelined(self, conn: smtplib.SMTP, sender: str, recipient: str) -> None:
        """MAIL, RCPT and DATA in one write, their replies read in order (RFC 2920).

        Why: each command otherwise waits a round trip for its reply, three
        of the four an email takes; to a server across the internet that is
        most of the time a send takes.  Raises ``_Refused`` for the first
        command refused (the later ones then fail too, and are read so the
        connection stays in step).  A server that accepts DATA all the same
        is given the empty end of it, which it refuses for want of a
        recipient.
        """
        mail, rcpt = smtplib.quoteaddr(sender), smtplib.quoteaddr(recipient)
        conn.send(f"MAIL FROM:{mail}\r\nRCPT TO:{rcpt}\r\nDATA\r\n".encode("ascii"))
        replies = [
            ("mail", *conn.getreply()),
            ("rcpt", *conn.getreply()),
            ("data", *conn.getreply()),
        ]
        refused = next(
            (
                _Refused(stage, code, reply)
                for stage, code, reply in replies
                if not (code == 354 if stage == "data" else 200 <= code < 300)
            ),
            None,
        )
        if refused is None:
            return
        if replies[2][1] == 354:
            conn.send(b".\r\n")
            conn.getreply()
        raise refused

    def _expect(self, answer: tuple[int, bytes], stage: str) -> None:
        code, reply = answer
        if not 200 <= code < 300:
            raise _Refused(stage, code, reply)

    def _connection(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        s = self.settings
        conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.username:
                try:
                    conn.login(s.username, s.password or "")
                except smtplib.SMTPAuthenticationError as refused:
                    # our configuration, not the recipient: never a reason to give up on them
                    reply = refused.smtp_error
                    raise _Refused(
                        "connect", 454, reply if isinstance(reply, bytes) else b""
                    ) from None
        except BaseException:
            _close(conn)
            raise
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn

    def _reset(self, hard: bool) -> None:
        """After a refusal, RSET and keep the connection; after a failure, drop it."""
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        if not hard:
            try:
                conn.rset()
                return
            except (OSError, smtplib.SMTPException):
                pass
        self._forget(conn)
        self._local.conn = None

    def _forget(self, conn: smtplib.SMTP) -> None:
        _close(conn)
        with self._lock:
            self._open.discard(conn)

    def close(self) -> None:
        """Say QUIT on every thread's connection (tests, shutdown)."""
        with self._lock:
            connections, self._open = list(self._open), set()
        for conn in connections:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                _close(conn)
        self._local = threading.local()


def _close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def _payload(data: bytes, clean: bool = False) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, the final dot line.

    A composed message is usually CRLF already with no line starting with a
    dot.  ``compose.build`` checks that on the message before its
    attachment's base64 goes in (which cannot change it), and says so: the
    checks over a guide's 370 KB took about 1 ms of every email.  Otherwise
    counting in C says whether the two rewrites are needed.
    """
    body = data
    if clean and body.endswith(b"\r\n"):
        return body + b".\r\n"
    if not is_clean(body):
        lone = body.count(b"\n") != body.count(b"\r\n") or body.count(b"\r") != body.count(b"\r\n")
        if lone:
            body = _LINE_END.sub(b"\r\n", body)
        if body.startswith(b".") or b"\n." in body:
            body = _LEADING_DOT.sub(b"..", body)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def is_clean(data: bytes) -> bool:
    """True when ``data`` has CRLF line ends only and no line starting with a dot."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        return False
    return not (data.startswith(b".") or b"\n." in data)


def _status(reply: bytes) -> str | None:
    match = _ENHANCED.match(reply or b"")
    return match.group(0).decode() if match else None


def reachable(settings: SmtpSettings, timeout: float = 2.0) -> bool:
    """True when something accepts TCP connections at the SMTP address (for /readyz-like checks)."""
    try:
        socket.create_connection((settings.host, settings.port), timeout=timeout).close()
        return True
    except OSError:
        return False
