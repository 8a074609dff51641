"""Email deliveries: once per (contact, purpose, request), consent first, every outcome's state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from intake.mail import compose
from intake.mail.transport import ACCEPTED, PERMANENT, TRANSIENT, UNKNOWN, Outcome
from intake.models import ConsentRecord, EmailDelivery, EmailSuppression, OutboxMessage
from intake.models.base import utcnow
from intake.services import outbox
from intake.services.email import emails, unsubscribe
from intake.services.inbox import leads
from intake.services.people.consent import covers_hash
from tests.services.inbox.test_leads import guide

POLICY = emails.Policy(retry_seconds=60, max_attempts=3, lease_seconds=300)


class FakeTransport:
    """Answers from a script; records what it was given."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[bytes] = []

    def send(
        self, sender: str, recipient: str, data: bytes, clean: bool = False, quoted=None
    ) -> Outcome:
        self.sent.append(data)
        return self.outcomes.pop(0) if self.outcomes else Outcome(ACCEPTED, 250, "2.0.0", "end")


def fake_compose(session, delivery, address) -> compose.Outgoing:
    return compose.Outgoing("support@example.org", address, f"<{delivery.id}@example.org>", b"x")


def _delivery(session, email="robert.oneil@example.com") -> EmailDelivery:
    outcome = leads.submit_guide_request(session, guide(email=email))
    session.flush()
    return session.scalars(
        select(EmailDelivery).where(EmailDelivery.request_id == outcome.request.id)
    ).one()


def _send(session, delivery, transport, now=None):
    return emails.send(session, delivery.id, fake_compose, transport, POLICY, now=now)


def test_a_guide_request_owes_one_email_with_one_send_job(db_session):
    delivery = _delivery(db_session)
    assert (delivery.status, delivery.purpose, delivery.attempts) == ("pending", "guide", 0)
    jobs = db_session.scalars(
        select(OutboxMessage.args).where(OutboxMessage.task_name == "emails.send")
    ).all()
    assert jobs == [[delivery.id]]
    # owing it again (a repeated job) owes nothing more: the unique key decides
    assert emails.queue_email(db_session, delivery.contact, "guide", delivery.request_id) is None


def test_an_accepted_email_is_sent_once_and_a_second_run_sends_nothing(db_session):
    delivery = _delivery(db_session)
    transport = FakeTransport()
    assert _send(db_session, delivery, transport) == "sent"
    assert _send(db_session, delivery, transport) == "sent"
    db_session.refresh(delivery)
    assert len(transport.sent) == 1 and delivery.sent_at and delivery.attempts == 1


def test_a_transient_failure_is_retried_later_with_backoff_then_gives_up(db_session):
    delivery = _delivery(db_session)
    busy = Outcome(TRANSIENT, 451, "4.3.0", "end")
    transport = FakeTransport(busy, busy, busy)
    now = utcnow()
    first = _send(db_session, delivery, transport, now=now)
    assert isinstance(first, outbox.Reschedule)
    assert timedelta(seconds=30) <= first.at - now <= timedelta(seconds=60)
    db_session.refresh(delivery)
    assert delivery.status == "pending" and delivery.next_attempt_at == first.at
    # run early (a re-published job): it waits for its due time, sending nothing
    assert isinstance(_send(db_session, delivery, transport, now=now), outbox.Reschedule)
    assert len(transport.sent) == 1
    second = _send(db_session, delivery, transport, now=first.at)
    assert timedelta(seconds=60) <= second.at - first.at <= timedelta(seconds=120)
    assert _send(db_session, delivery, transport, now=second.at) == "failed"
    db_session.refresh(delivery)
    assert delivery.status == "failed" and "after 3 tries" in delivery.reason
    assert emails.needing_attention(db_session) == [delivery]


def test_an_unknown_mailbox_fails_at_once_and_suppresses_the_address(db_session):
    delivery = _delivery(db_session)
    transport = FakeTransport(Outcome(PERMANENT, 550, "5.1.1", "rcpt"))
    assert _send(db_session, delivery, transport) == "failed"
    assert emails.is_suppressed(db_session, "robert.oneil@example.com")
    # a new request to the same address is never attempted
    again = _delivery(db_session)
    assert _send(db_session, again, transport) == "suppressed"
    assert len(transport.sent) == 1
    assert emails.resend(db_session, delivery.id) is None  # a bounced address is not resent


def test_an_unknown_outcome_is_never_retried_on_its_own(db_session):
    delivery = _delivery(db_session)
    transport = FakeTransport(Outcome(UNKNOWN, None, None, "end"))
    assert _send(db_session, delivery, transport) == "unknown"
    assert _send(db_session, delivery, transport) == "unknown"
    assert len(transport.sent) == 1
    assert emails.resend(db_session, delivery.id) is not None  # a person may decide to
    assert _send(db_session, delivery, transport) == "sent"


def test_a_send_left_sending_waits_for_its_lease_then_is_unknown(db_session):
    delivery = _delivery(db_session)
    now = utcnow()
    db_session.execute(
        update(EmailDelivery)
        .where(EmailDelivery.id == delivery.id)
        .values(status="sending", sending_since=now)
    )
    transport = FakeTransport()
    waiting = _send(db_session, delivery, transport, now=now + timedelta(seconds=10))
    assert isinstance(waiting, outbox.Reschedule)  # another worker may be sending it now
    later = now + timedelta(seconds=POLICY.lease_seconds + 1)
    assert _send(db_session, delivery, transport, now=later) == "unknown"
    assert transport.sent == []


def test_no_consent_means_no_email(db_session):
    delivery = _delivery(db_session)
    db_session.execute(update(ConsentRecord).values(revoked_at=utcnow()))
    transport = FakeTransport()
    assert _send(db_session, delivery, transport) == "suppressed"
    db_session.refresh(delivery)
    assert "consent" in delivery.reason and transport.sent == []


def test_unsubscribing_revokes_email_consent_and_stops_waiting_emails(app, db_session):
    delivery = _delivery(db_session)
    with app.test_request_context():
        token = unsubscribe.token_for(delivery.contact_id, "robert.oneil@example.com")
        subscriber = unsubscribe.read_token(token)
        assert subscriber is not None
        assert unsubscribe.unsubscribe(db_session, subscriber) == 1
        assert unsubscribe.unsubscribe(db_session, subscriber) == 0  # idempotent
        assert unsubscribe.read_token(token[:-2] + "xx") is None
    db_session.refresh(delivery)
    assert delivery.status == "suppressed" and delivery.reason == "unsubscribed"
    revoked = db_session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.covers_hash == covers_hash("email", "robert.oneil@example.com")
        )
    ).all()
    assert revoked and all(record.revoked_at for record in revoked)


def test_suppression_is_recorded_once(db_session):
    emails.suppress(db_session, "x@example.com", "bounced")
    emails.suppress(db_session, "x@example.com", "bounced")
    assert db_session.scalar(select(func.count()).select_from(EmailSuppression)) == 1


@pytest.mark.parametrize("attempts", [1, 2, 5, 30])
def test_backoff_grows_has_jitter_and_is_capped(attempts):
    import random

    step = min(60 * 2 ** (attempts - 1), 6 * 3600)
    for seed in range(20):
        delay = POLICY.backoff(attempts, random.Random(seed)).total_seconds()
        assert step / 2 <= delay <= step


def _owed_at(session, delivery, when) -> None:
    session.execute(
        update(EmailDelivery).where(EmailDelivery.id == delivery.id).values(created_at=when)
    )


def test_at_send_time_an_erasure_stops_mail_it_predates_and_a_bounce_stops_all(db_session):
    """``suppression_reason``'s rules, as the statement marking an email sending asks them."""
    before, later, last = (_delivery(db_session, f"reader{n}@example.com") for n in range(3))
    for delivery in (before, later, last):
        emails.suppress(db_session, delivery.contact.email, emails.ERASED_ADDRESS)
    db_session.flush()
    erased_at = db_session.scalars(select(func.max(EmailSuppression.created_at))).one()
    _owed_at(db_session, before, erased_at - timedelta(minutes=5))
    _owed_at(db_session, later, erased_at + timedelta(minutes=5))  # asked again, consent anew
    _owed_at(db_session, last, erased_at + timedelta(minutes=5))
    db_session.execute(
        update(EmailSuppression)
        .where(EmailSuppression.address_hash == emails.email_hash("reader2@example.com"))
        .values(reason="bounced")
    )
    transport = FakeTransport()
    results = [_send(db_session, d, transport) for d in (before, later, last)]
    assert results == ["suppressed", "sent", "suppressed"]
    assert len(transport.sent) == 1
    for delivery in (before, last):
        db_session.refresh(delivery)
    assert before.reason == "the person asked us to delete their information"
    assert last.reason == "the address bounced before"


def test_an_email_stopped_while_its_consent_changed_is_asked_about_again_soon(
    db_session, monkeypatch
):
    """The marking statement said no and the explanation finds no reason: nothing is decided."""
    from sqlalchemy import false

    delivery = _delivery(db_session)
    monkeypatch.setattr(emails, "_allowed", lambda *args: [false()])
    transport = FakeTransport()
    result = _send(db_session, delivery, transport)
    assert isinstance(result, outbox.Reschedule) and transport.sent == []
    db_session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
