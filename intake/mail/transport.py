"""SMTP sending that knows when a message was handed over, so a failure can be classified.

What a failure means for "at most once" depends on when it happened: before
the end of the DATA payload nothing was accepted and a retry is safe; after
it, the server may already hold the message (it replies 250 after storing
it), so the outcome is unknown.  ``send`` says which, with the reply's code
and enhanced status code only (the text may quote the address).

What the server offers decides how a message goes, here and nowhere else
(``_plan``): 8-bit text goes as it is with ``BODY=8BITMIME`` when the server
offers 8BITMIME (RFC 6152), else as the sender's quoted-printable variant
of the same message; an address with a non-ASCII local part goes with
``SMTPUTF8`` (RFC 6531) when offered, and is not sent at all when not (a
permanent failure that says so: no server that lacks it can take it).  A
non-ASCII domain always goes as IDNA (``ascii_domain``), which any server
takes.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

ACCEPTED, TRANSIENT, PERMANENT, UNKNOWN = "accepted", "transient", "permanent", "unknown"
_ENHANCED = re.compile(rb"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")
# a message with an address that needs SMTPUTF8, for a server that does not offer it
NO_SMTPUTF8 = "the mail server does not accept international addresses (SMTPUTF8)"


@dataclass(frozen=True)
class Outcome:
    """What became of one send: ``kind`` is accepted, transient, permanent or unknown."""

    kind: str
    code: int | None = None
    status: str | None = None  # the enhanced status code, e.g. "5.1.1"
    stage: str = ""  # the step that answered or failed: connect, mail, rcpt, data, end
    note: str = ""  # why it was not sent, when the server never said (our words, no address)

    @property
    def bad_mailbox(self) -> bool:
        """A permanent "no such mailbox / bad address" (5.1.x): the address must be suppressed."""
        about_recipient = self.stage in ("rcpt", "end")
        return self.kind == PERMANENT and about_recipient and (self.status or "").startswith("5.1.")

    def describe(self) -> str:
        """A short, personal-data-free note for staff (codes only)."""
        codes = " ".join(str(part) for part in (self.code, self.status) if part)
        said = f" ({codes})" if codes else ""
        return f"{self.kind} at {self.stage}{said}" + (f": {self.note}" if self.note else "")


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

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        clean: bool = False,
        quoted: Callable[[], bytes] | None = None,
    ) -> Outcome:
        """Hand one message to the server, once; never raises for SMTP or network failures.

        ``clean``: the composer knows the message has CRLF line ends only and
        no line starting with a dot, so the payload needs no checking.
        ``quoted``: the same message with its 8-bit text parts as
        quoted-printable, for a server that does not offer 8BITMIME (made
        only then); without it such a server is sent the 8-bit message.
        """
        message = _Message(ascii_domain(sender), ascii_domain(recipient), data, clean, quoted)
        reused = getattr(self._local, "conn", None) is not None
        outcome = self._attempt(message)
        if reused and outcome.kind == TRANSIENT and outcome.stage in ("connect", "mail"):
            outcome = self._attempt(message)  # the idle connection had died
        return outcome

    def _attempt(self, message: _Message) -> Outcome:
        stage, handed_over = "connect", False
        try:
            conn = self._connection()
            stage = "mail"
            plan = _plan(conn, message)
            if isinstance(plan, Outcome):
                return plan  # nothing was sent: the connection is as it was
            options, data, clean = plan
            if conn.has_extn("pipelining"):
                self._envelope_pipelined(conn, message.sender, message.recipient, options)
            else:
                conn.command_encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
                self._expect(conn.mail(message.sender, options), stage)
                stage = "rcpt"
                self._expect(conn.rcpt(message.recipient), stage)
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

    def _envelope_pipelined(
        self, conn: smtplib.SMTP, sender: str, recipient: str, options: tuple[str, ...] = ()
    ) -> None:
        """MAIL, RCPT and DATA in one write, their replies read in order (RFC 2920).

        Why: each command otherwise waits a round trip for its reply, three
        of the four an email takes; to a server across the internet that is
        most of the time a send takes.  Raises ``_Refused`` for the first
        command refused (the later ones then fail too, and are read so the
        connection stays in step).  A server that accepts DATA all the same
        is given the empty end of it, which it refuses for want of a
        recipient.  The commands are UTF-8 only with ``SMTPUTF8`` among the
        options (``_plan`` sees to it), else ASCII.
        """
        mail, rcpt = smtplib.quoteaddr(sender), smtplib.quoteaddr(recipient)
        params = "".join(f" {option}" for option in options)
        commands = f"MAIL FROM:{mail}{params}\r\nRCPT TO:{rcpt}\r\nDATA\r\n"
        conn.send(commands.encode("utf-8" if "SMTPUTF8" in options else "ascii"))
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


@dataclass(frozen=True)
class _Message:
    sender: str
    recipient: str
    data: bytes
    clean: bool
    quoted: Callable[[], bytes] | None


def _plan(conn: smtplib.SMTP, message: _Message) -> tuple[tuple[str, ...], bytes, bool] | Outcome:
    """How this message goes over this connection: MAIL FROM's options and the bytes.

    Or the permanent failure of a message this server cannot take.  Why a
    failure and not a retry: the server said what it offers, and an address
    that needs SMTPUTF8 cannot be written for one that lacks it.
    """
    options: list[str] = []
    international = not (message.sender.isascii() and message.recipient.isascii())
    if international:
        if not conn.has_extn("smtputf8"):
            return Outcome(PERMANENT, None, None, "mail", NO_SMTPUTF8)
        options.append("SMTPUTF8")
    data, clean = message.data, message.clean
    if not data.isascii():
        if conn.has_extn("8bitmime"):
            options.insert(0, "BODY=8BITMIME")
        elif message.quoted is not None:
            data, clean = message.quoted(), False  # the transport checks its lines
    return tuple(options), data, clean


def ascii_domain(address: str) -> str:
    """The address with its domain as IDNA (``josé@españa.es`` -> ``josé@xn--espaa-rta.es``).

    Any server takes an IDNA domain, in the envelope and in headers; only a
    non-ASCII local part needs SMTPUTF8.  An address that does not parse is
    left as it is (the server answers for it).
    """
    local, at, domain = address.rpartition("@")
    if domain.isascii() or not at:
        return address
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return address
    return f"{local}@{checked.ascii_domain}"


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
