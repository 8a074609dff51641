"""The demo's local mailbox takes the addresses the forms take, and an erasure finds them."""

from __future__ import annotations

from intake.mail import compose, mailbox
from intake.mail.transport import ACCEPTED, SmtpSettings, SmtpTransport
from tests.smtp import free_port


def test_the_local_mailbox_keeps_mail_to_an_international_address_and_forgets_it(tmp_path):
    port = free_port()
    controller = mailbox.start(tmp_path, "127.0.0.1", port)
    transport = SmtpTransport(SmtpSettings("127.0.0.1", port, timeout=5))
    try:
        message = compose.build(
            mail_from="Apoyo <apoyo@example.org>", to_name="José Núñez",
            to_address="josé@ejemplo.es", subject="Su guía", text="información",
            html="<p>información</p>", msg_id="<guide.1@example.org>",
            unsubscribe_url="https://example.org/u/T",
            unsubscribe_mailto_url="mailto:u@example.org",
        )  # fmt: skip
        outcome = transport.send(
            message.sender, message.recipient, message.data, message.clean, message.quoted
        )
    finally:
        transport.close()
        controller.stop()
    assert outcome.kind == ACCEPTED  # offered SMTPUTF8: the demo shows what the forms took
    [kept] = mailbox.list_messages(tmp_path)
    assert kept.to == "José Núñez <josé@ejemplo.es>" and kept.subject == "Su guía"
    assert mailbox.addressed_to("josé@ejemplo.es", tmp_path) == [kept]
    assert (
        mailbox.forget("josé@ejemplo.es", tmp_path) == 1 and mailbox.list_messages(tmp_path) == []
    )
