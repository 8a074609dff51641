"""Mail that any server takes: each combination of 8BITMIME and SMTPUTF8, read back as received.

A batch of three guide emails in Spanish, the middle one to ``josé@ejemplo.es``,
goes through ``outgoing.send_batch`` over one connection to aiosmtpd offering
8BITMIME or not and SMTPUTF8 or not (``tests/smtp.py``, which refuses what it
did not offer, as a strict server does).  The bytes it received say how each
went; the rows say what admins see.
"""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from intake.mail import compose
from intake.models import EmailDelivery, OutboxMessage
from intake.services import outgoing
from intake.services.inbox import leads
from tests.services.inbox.test_leads import guide

pytestmark = pytest.mark.committed

TEXT = "Hola,\n\naquí tiene la información que pidió sobre el mesotelioma.\n"
HTML = "<p>Hola,</p><p>aquí tiene la información que pidió sobre el mesotelioma.</p>"
# what admins read on /admin/emails
REASON = "not sent: the mail server does not accept international addresses (SMTPUTF8)"
ADDRESSES = ["ana@ejemplo.es", "josé@ejemplo.es", "luis@ejemplo.es"]


def spanish_compose(session, delivery, address) -> compose.Outgoing:
    """A small real message with Spanish text (the guide's PDF is not what this is about)."""
    return compose.build(
        mail_from="Apoyo al Paciente <apoyo@example.org>",
        to_name="José Núñez" if address.startswith("josé") else None,
        to_address=address,
        subject="Su guía gratuita sobre el mesotelioma",
        text=TEXT,
        html=HTML,
        msg_id=f"<guide.{delivery.id}@example.org>",
        unsubscribe_url="https://support.example.org/unsubscribe/t",
        unsubscribe_mailto_url="mailto:unsubscribe@example.org?subject=t",
    )


def _received(smtp) -> dict[str, tuple[list[str], email.message.EmailMessage, bytes]]:
    """Each accepted message by its recipient: MAIL FROM's parameters, parsed, as received."""
    found = {}
    for envelope, raw in zip(smtp.envelopes, smtp.raw, strict=True):
        [recipient] = envelope.rcpt_tos
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        found[recipient] = (envelope.mail_options, parsed, raw)
    return found


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8", "no-smtputf8"])
@pytest.mark.parametrize("eightbitmime", [True, False], ids=["8bitmime", "no-8bitmime"])
def test_each_server_is_sent_what_it_offers_to_take(
    app, committed_db, smtp, monkeypatch, eightbitmime, smtputf8
):
    smtp.script.eightbitmime, smtp.script.smtputf8 = eightbitmime, smtputf8
    monkeypatch.setitem(outgoing.COMPOSERS, "guide", spanish_compose)
    for address in ADDRESSES:
        leads.submit_guide_request(committed_db, guide(email=address))
    committed_db.commit()
    jobs = [
        [row.id, *row.args]
        for row in committed_db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]
    counts = outgoing.send_batch(committed_db, jobs)

    committed_db.expire_all()
    rows = {
        d.contact.email: d
        for d in committed_db.scalars(select(EmailDelivery).order_by(EmailDelivery.id))
    }
    assert set(rows) == set(ADDRESSES)
    received = _received(smtp)
    expected = ADDRESSES if smtputf8 else ["ana@ejemplo.es", "luis@ejemplo.es"]
    assert sorted(received) == sorted(expected)  # the one after the failure went too
    for address in expected:
        options, message, raw = received[address]
        head, _, body = raw.partition(b"\r\n\r\n")
        row = rows[address]
        assert (row.status, row.reason, row.attempts) == ("sent", None, 1)
        assert message["Message-ID"] == row.message_id == f"<guide.{row.id}@example.org>"
        international = not address.isascii()
        # the MAIL FROM parameters: BODY=8BITMIME only when offered, SMTPUTF8 only when needed
        assert options == ["BODY=8BITMIME"] * eightbitmime + ["SMTPUTF8"] * international
        parts = [message.get_body(("plain",)), message.get_body(("html",))]
        for part, sent in zip(parts, (TEXT, HTML), strict=True):
            cte = "8bit" if eightbitmime else "quoted-printable"
            assert part["Content-Transfer-Encoding"] == cte
            assert part.get_content().replace("\r\n", "\n").rstrip("\n") == sent.rstrip("\n")
        if not eightbitmime:  # 7-bit on the wire, the headers of an SMTPUTF8 message aside
            assert body.isascii()
            assert all(len(line) <= 76 for line in body.split(b"\r\n") if b"=C3" in line)
        assert str(message["Subject"]) == "Su guía gratuita sobre el mesotelioma"
        if international:  # the address in UTF-8 (RFC 6532), not an encoded word
            assert "José Núñez <josé@ejemplo.es>".encode() in head
            headers = email.message_from_string(head.decode(), policy=email.policy.default)
            assert headers["To"].addresses[0].addr_spec == "josé@ejemplo.es"
    josé = rows["josé@ejemplo.es"]
    if smtputf8:
        assert counts == {"sent": 3}
    else:  # failed clearly, once, and the server never heard of the address
        assert counts == {"sent": 2, "failed": 1}
        assert (josé.status, josé.attempts) == ("failed", 1)
        assert josé.reason == REASON
        assert (josé.smtp_code, josé.smtp_status) == (None, None)
        assert all(address.isascii() for address in smtp.mail_commands)
    # nothing is left to run again: every outbox row is finished
    assert (
        committed_db.scalars(
            select(OutboxMessage.id).where(OutboxMessage.processed_at.is_(None))
        ).all()
        == []
    )
