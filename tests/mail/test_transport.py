"""The SMTP transport against a real server: what each kind of failure is classified as."""

from __future__ import annotations

import smtplib
import socket

import pytest

from intake.mail import compose
from intake.mail.transport import (
    ACCEPTED,
    NO_SMTPUTF8,
    PERMANENT,
    TRANSIENT,
    UNKNOWN,
    SmtpSettings,
    SmtpTransport,
)
from tests.smtp import SmtpSink, free_port


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def _message(
    to: str = "reader@example.com",
    body: str = "Hello",
    name: str = "Reader",
    attachments: tuple[compose.Attachment, ...] = (),
) -> compose.Outgoing:
    return compose.build(
        mail_from="Patient Support <support@example.org>",
        to_name=name,
        to_address=to,
        subject="A test",
        text=body,
        html=f"<p>{body}</p>",
        msg_id=compose.message_id("test", 1, 2, "example.org"),
        unsubscribe_url="https://example.org/unsubscribe/TOKEN",
        unsubscribe_mailto_url=compose.unsubscribe_mailto("a <support@example.org>", "TOKEN"),
        attachments=attachments,
    )


_made: list[SmtpTransport] = []


@pytest.fixture(autouse=True)
def _close_transports():
    yield
    while _made:
        _made.pop().close()


def _transport(sink: SmtpSink) -> SmtpTransport:
    transport = SmtpTransport(SmtpSettings("127.0.0.1", sink.port, timeout=5))
    _made.append(transport)
    return transport


def _send(transport: SmtpTransport, message: compose.Outgoing):
    return transport.send(message.sender, message.recipient, message.data)


def test_an_accepted_message_arrives_whole_and_the_connection_is_reused(sink):
    transport = _transport(sink)
    body = "A line\n.starting with a dot\nand ümlauts"
    first, second = _send(transport, _message(body=body)), _send(transport, _message())
    assert (first.kind, first.code) == (ACCEPTED, 250) and second.kind == ACCEPTED
    [received, _] = sink.wait_for(2)
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip() == body
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    transport.close()


def test_a_4xx_at_the_end_of_data_is_transient_and_nothing_was_kept(sink):
    sink.script.data_replies = ["451 4.3.0 Try again later"]
    outcome = _send(_transport(sink), _message())
    assert (outcome.kind, outcome.code, outcome.status, outcome.stage) == (
        TRANSIENT, 451, "4.3.0", "end",
    )  # fmt: skip
    assert sink.raw == []


def test_an_unknown_mailbox_is_permanent_and_asks_for_suppression(sink):
    sink.script.rcpt_refusals["nobody@example.com"] = "550 5.1.1 No such user here"
    outcome = _send(_transport(sink), _message(to="nobody@example.com"))
    assert (outcome.kind, outcome.status, outcome.stage) == (PERMANENT, "5.1.1", "rcpt")
    assert outcome.bad_mailbox
    assert "nobody" not in outcome.describe()  # codes only: replies may quote the address


def test_a_connection_dropped_after_the_message_was_sent_is_an_unknown_outcome(sink):
    sink.script.drop_after_data = 1
    outcome = _send(_transport(sink), _message())
    assert (outcome.kind, outcome.stage) == (UNKNOWN, "end")
    assert len(sink.raw) == 1  # it did arrive: this is why it is never resent on its own


def test_no_server_is_transient():
    transport = SmtpTransport(SmtpSettings("127.0.0.1", free_port(), timeout=2))
    _made.append(transport)
    outcome = transport.send("a@example.org", "b@example.com", b"Subject: x\r\n\r\nbody\r\n")
    assert (outcome.kind, outcome.stage) == (TRANSIENT, "connect")


def test_a_server_that_dropped_an_idle_connection_is_reconnected_to(sink):
    transport = _transport(sink)
    assert _send(transport, _message()).kind == ACCEPTED
    transport._local.conn.sock.shutdown(socket.SHUT_RDWR)  # the server's idle timeout, say
    assert _send(transport, _message()).kind == ACCEPTED
    assert len(sink.wait_for(2)) == 2


def test_dkim_signs_the_unsubscribe_headers_and_verifies():
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signed = compose.build(
        mail_from="Patient Support <support@example.org>",
        to_name=None,
        to_address="reader@example.com",
        subject="Signed",
        text="Hello",
        html="<p>Hello</p>",
        msg_id="<x@example.org>",
        unsubscribe_url="https://example.org/unsubscribe/T",
        unsubscribe_mailto_url="mailto:unsubscribe@example.org",
        dkim=compose.Dkim("sel", "example.org", pem),
    )
    header = signed.data.split(b"\r\n\r\n", 1)[0].decode()
    assert header.startswith("DKIM-Signature:") and "list-unsubscribe" in header.lower()
    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    assert dkim.verify(signed.data, dnsfunc=lambda name, timeout=5: record)


@pytest.mark.parametrize(
    ("data", "wire"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),  # already CRLF, no dots: as it is
        (b"a\nb", b"a\r\nb\r\n.\r\n"),  # bare LF
        (b"a\rb\r\n", b"a\r\nb\r\n.\r\n"),  # bare CR
        (b".a\r\n..b\r\nc.\r\n", b"..a\r\n...b\r\nc.\r\n.\r\n"),  # leading dots doubled
        (b"x\n.\ny", b"x\r\n..\r\ny\r\n.\r\n"),  # both, and a lone dot line
    ],
)
def test_the_data_payload_is_crlf_and_dot_stuffed(data, wire):
    from intake.mail.transport import _payload

    assert _payload(data) == wire


def test_a_composed_message_says_it_is_clean_and_one_with_a_dot_line_says_not(sink):
    """``clean`` skips the transport's checks; a text line starting with a dot must not."""
    from intake.mail.transport import _payload

    pdf = compose.Attachment("guide.pdf", bytes(range(256)) * 500)
    plain = _message(name="María López", attachments=(pdf,))
    assert plain.clean
    assert _payload(plain.data, clean=True) == _payload(plain.data)
    dotted = _message(body="Your questions:\n.first one\n.")
    assert not dotted.clean
    outcome = _transport(sink).send(dotted.sender, dotted.recipient, dotted.data, dotted.clean)
    assert outcome.kind == ACCEPTED
    text = sink.messages[0].get_body(("plain",)).get_content()
    assert ".first one" in text  # stuffed on the wire, whole on arrival


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (None, (ACCEPTED, 250, "end")),
        ("mail", (TRANSIENT, 451, "mail")),
        ("rcpt", (PERMANENT, 550, "rcpt")),
        ("data", (TRANSIENT, 451, "end")),
    ],
)
def test_each_refusal_keeps_its_stage_and_the_connection_stays_in_step(
    sink, monkeypatch, pipelining, refusal, expected
):
    """With PIPELINING the envelope goes in one write; what a refusal means does not change."""
    sink.script.pipelining = pipelining
    writes = []
    real_send = smtplib.SMTP.send
    monkeypatch.setattr(
        smtplib.SMTP, "send", lambda conn, data: writes.append(data) or real_send(conn, data)
    )
    transport = _transport(sink)
    assert _send(transport, _message()).kind == ACCEPTED  # the connection opened
    if refusal == "mail":
        # twice: a reused connection's first MAIL refusal is tried again (it may have died idle)
        sink.script.mail_refusals = ["451 4.3.2 Not now"] * 2
    elif refusal == "rcpt":
        sink.script.rcpt_refusals["nobody@example.com"] = "550 5.1.1 No such user here"
    elif refusal == "data":
        sink.script.data_replies = ["451 4.3.0 Try again later"]
    writes.clear()
    outcome = _send(transport, _message(to="nobody@example.com"))
    assert (outcome.kind, outcome.code, outcome.stage) == expected
    if refusal is None:  # the envelope, then the payload; one by one, each command on its own
        assert len(writes) == (2 if pipelining else 4)
    # the same connection goes on to the next message
    assert _send(transport, _message()).kind == ACCEPTED
    assert sink.sessions == 1
    assert len(sink.raw) == (3 if refusal is None else 2)


class _Answering:
    """A connection that replies from a list and records what it was sent."""

    def __init__(self, *replies: int) -> None:
        self.replies, self.sent = list(replies), []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def getreply(self) -> tuple[int, bytes]:
        return self.replies.pop(0), b"reply"


def test_a_server_that_takes_data_after_refusing_the_recipient_is_given_its_empty_end():
    from intake.mail.transport import _Refused

    conn = _Answering(250, 550, 354, 554)
    with pytest.raises(_Refused) as refused:
        SmtpTransport(SmtpSettings("127.0.0.1", 25))._envelope_pipelined(
            conn, "support@example.org", "nobody@example.com"
        )
    assert (refused.value.stage, refused.value.code) == ("rcpt", 550)
    assert conn.sent[-1] == b".\r\n" and conn.replies == []


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
@pytest.mark.parametrize("eightbitmime", [True, False], ids=["8bitmime", "no-8bitmime"])
def test_the_mail_from_parameters_follow_what_the_server_offers(sink, pipelining, eightbitmime):
    """Both ways of sending the envelope give the same parameters (smtplib's own ``mail`` too)."""
    sink.script.pipelining, sink.script.eightbitmime, sink.script.smtputf8 = (
        pipelining, eightbitmime, True,
    )  # fmt: skip
    transport = _transport(sink)
    for to in ("ana@ejemplo.es", "josé@ejemplo.es", "luis@ejemplo.es"):
        message = _message(to=to, body="la información")
        outcome = transport.send(
            message.sender, message.recipient, message.data, message.clean, message.quoted
        )
        assert outcome.kind == ACCEPTED
    body = ["BODY=8BITMIME"] if eightbitmime else []
    assert [e.mail_options for e in sink.envelopes] == [body, [*body, "SMTPUTF8"], body]
    assert [e.rcpt_tos for e in sink.envelopes] == [
        ["ana@ejemplo.es"],
        ["josé@ejemplo.es"],
        ["luis@ejemplo.es"],
    ]
    assert sink.sessions == 1


def test_an_international_address_without_smtputf8_fails_at_once_and_says_why(sink):
    transport = _transport(sink)
    message = _message(to="josé@ejemplo.es")
    outcome = transport.send(message.sender, message.recipient, message.data, message.clean)
    assert (outcome.kind, outcome.stage, outcome.code) == (PERMANENT, "mail", None)
    assert outcome.note == NO_SMTPUTF8 and not outcome.bad_mailbox  # another relay may take it
    assert outcome.describe() == f"permanent at mail: {NO_SMTPUTF8}"
    assert sink.mail_commands == []  # the server never heard of it
    assert _send(transport, _message()).kind == ACCEPTED and sink.sessions == 1


def test_a_non_ascii_domain_goes_as_idna_to_any_server(sink):
    """IDNA needs nothing of the server: no SMTPUTF8, and the To line is ASCII too."""
    message = _message(to="pepe@españa.es", name="Pepe")
    assert message.recipient == "pepe@xn--espaa-rta.es"
    outcome = _transport(sink).send(message.sender, "pepe@españa.es", message.data)
    assert outcome.kind == ACCEPTED
    [envelope] = sink.envelopes
    assert envelope.rcpt_tos == ["pepe@xn--espaa-rta.es"] and envelope.mail_options == []
    assert sink.raw[0].isascii()
    assert sink.messages[0]["To"].addresses[0].addr_spec == "pepe@xn--espaa-rta.es"


def test_staff_mail_follows_the_same_rules(sink):
    """The plain messages to staff (alerts, password links) carry their quoted variant too."""
    sink.script.eightbitmime = False
    message = compose.plain_message(
        "Support <support@example.org>", "admin@example.org", "Hola", "Hola José: información\n"
    )
    outcome = _transport(sink).send(
        message.sender, message.recipient, message.data, quoted=message.quoted
    )
    assert outcome.kind == ACCEPTED and sink.raw[0].isascii()
    [received] = sink.messages
    assert received["Content-Transfer-Encoding"] == "quoted-printable"
    assert received.get_content().replace("\r\n", "\n") == "Hola José: información\n"
    assert received["Message-ID"] == message.message_id
