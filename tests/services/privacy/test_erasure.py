"""Erasing one person: their values gone from every table, the counts kept, nobody else touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from intake.models import (
    AuditEvent,
    CallbackRequest,
    Case,
    CaseContact,
    CaseMatch,
    ConsentRecord,
    Contact,
    EmailDelivery,
    EmailSuppression,
    FulfilmentItem,
    GuideRequest,
    QueueItem,
    Submission,
)
from intake.models.base import utcnow
from intake.services.directory import specialists
from intake.services.people.contacts import email_hash
from intake.services.privacy import erasure
from intake.services.queue import lead_page
from tests.conftest import GOOD_CALLBACK, submit
from tests.privacy_data import Canary, everything, found, queue_and_call


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def contact_of(session, email: str) -> Contact:
    """The one contact who gave this address (and a phone, when several gave it)."""
    found_ = session.scalars(
        select(Contact).where(Contact.email_hash == email_hash(email)).order_by(Contact.id)
    ).all()
    return found_[0] if len(found_) == 1 else next(c for c in found_ if c.phone_hash)


def erase_address(session, email: str, actor=None) -> erasure.Erased | None:
    """Erase every contact whose own email this is, as a confirmed deletion link does; the
    counts added up."""
    owners = session.scalars(
        select(Contact.id).where(Contact.email_hash == email_hash(email)).order_by(Contact.id)
    ).all()
    total = None
    for contact_id in owners:
        one = erasure.erase_contact(session, contact_id, "request", actor)
        if one is None:
            continue
        if total is None:
            total = one
            continue
        for name, value in erasure.counts(one).items():
            setattr(total, name, getattr(total, name) + value)
    return total


@pytest.fixture
def canary(client, db_session) -> Canary:
    """A person who asked for the guide (email and print) and a call, was matched and called."""
    specialists.load_demo(db_session)
    person = Canary.make()
    assert submit(client, "/guide", person.guide_form()).status_code == 303
    assert submit(client, "/callback", person.callback_form()).status_code == 303
    queue_and_call(db_session, person)
    return person


def test_every_value_of_the_person_is_gone_and_the_counts_stay(client, db_session, canary):
    other = {**GOOD_CALLBACK, "first_name": "Otherperson", "email": "other.person@example.com"}
    assert submit(client, "/callback", other).status_code == 303
    before = everything(db_session)
    assert found(before, canary) == canary.values  # the control: the search does find them
    kept = (Submission, Contact, Case, GuideRequest, CallbackRequest, ConsentRecord, EmailDelivery)
    counted = {model: count(db_session, model) for model in kept}
    contact = contact_of(db_session, canary.email)  # the one who asked for the call
    assert count(db_session, CaseMatch) > 0

    erased = erase_address(db_session, canary.email, "deletion link")

    # the guide and the call came as two contacts (one address, only one gave a phone)
    assert erased is not None and erased.cases_erased == 2 and erased.call_attempts == 1
    assert erased.submissions == 2 and erased.queue_cancelled == 1
    db_session.expire_all()
    assert found(everything(db_session), canary) == []
    assert {m: count(db_session, m) for m in counted} == counted  # rows (and counts) stay
    assert "Otherperson" in everything(db_session)  # someone else's data untouched
    assert contact_of(db_session, "other.person@example.com").first_name == "Otherperson"
    item = db_session.scalars(select(QueueItem).where(QueueItem.contact_id == contact.id)).one()
    assert item.status == "cancelled" and item.close_reason == "erased"
    assert db_session.scalars(select(FulfilmentItem)).one().status == "cancelled"
    case_id = erased_case(db_session, contact.id)
    matches = db_session.scalars(select(CaseMatch).where(CaseMatch.case_id == case_id)).all()
    assert matches and all(m.distance_miles == 0.0 and m.reasons == [] for m in matches)
    consents = db_session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
    ).all()
    assert consents and all(c.revoked_at is not None and c.ip_address is None for c in consents)
    # never emailed again, and the erasure is on record with ids and counts only
    assert count(db_session, EmailSuppression,
                 EmailSuppression.address_hash == email_hash(canary.email)) == 1  # fmt: skip
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
    events = events.all()
    assert str(contact.id) in {event.target_id for event in events} and len(events) == 2
    assert all(event.detail["reason"] == "request" for event in events)
    assert found(str([event.detail for event in events]), canary) == []


def erased_case(session, contact_id: int) -> int:
    return session.scalars(
        select(CaseContact.case_id).where(CaseContact.contact_id == contact_id)
    ).one()


def test_erasing_twice_does_nothing_more(db_session, canary):
    contact = contact_of(db_session, canary.email)
    assert erasure.erase_contact(db_session, contact.id, "request", None) is not None
    assert erasure.erase_contact(db_session, contact.id, "request", None) is None
    assert count(db_session, AuditEvent, AuditEvent.action == "privacy.erase") == 1


def test_a_shared_case_keeps_its_facts_until_the_last_person_on_it_goes(client, db_session):
    submit(client, "/callback", GOOD_CALLBACK)  # Maria, about her husband
    son = {"first_name": "Daniel", "email": "daniel.lopez@example.com", "relationship": "child",
           "topics": ["treatment"], "deliver_email": "y"}  # fmt: skip
    submit(client, "/guide", son)
    maria = contact_of(db_session, GOOD_CALLBACK["email"])
    daniel = contact_of(db_session, son["email"])
    case_id = erased_case(db_session, maria.id)
    lead_page.link_household(db_session, db_session.get(Case, case_id), daniel, "child")

    kept = erasure.erase_contact(db_session, maria.id, "request", None)
    assert kept is not None and kept.cases_kept == 1 and kept.cases_erased == 0
    db_session.expire_all()
    case = db_session.get(Case, case_id)
    assert case.diagnosis_type == "pleural" and case.zip == "10001"  # Daniel's case still
    assert [link.contact_id for link in case.contact_links] == [daniel.id]
    assert db_session.get(Contact, daniel.id).first_name == "Daniel"  # not the same person

    gone = erasure.erase_contact(db_session, daniel.id, "request", None)
    assert gone is not None and gone.cases_erased >= 1
    db_session.expire_all()
    case = db_session.get(Case, case_id)
    assert case.diagnosis_type is None and case.zip is None and case.state == "NY"


def test_waiting_emails_are_stopped(client, db_session):
    submit(client, "/guide", {"first_name": "Ana", "email": "ana@example.com",
                              "relationship": "self", "topics": ["treatment"],
                              "deliver_email": "y"})  # fmt: skip
    delivery = db_session.scalars(select(EmailDelivery)).one()
    assert delivery.status == "pending"
    erasure.erase_contact(db_session, delivery.contact_id, "request", None)
    db_session.refresh(delivery)
    assert delivery.status == "suppressed" and delivery.to_hash == erasure.ERASED


def test_a_form_not_yet_processed_is_cleared_too(client, db_session):
    submit(client, "/guide", {"first_name": "Ana", "email": "ana@example.com",
                              "relationship": "self", "topics": ["treatment"],
                              "deliver_email": "y"})  # fmt: skip
    again = {**GOOD_CALLBACK, "first_name": "Ana", "email": "ana@example.com"}
    submit(client, "/callback", again, process=False)
    waiting = db_session.scalars(select(Submission).where(Submission.processed_at.is_(None))).one()
    contact = contact_of(db_session, "ana@example.com")
    erasure.erase_contact(db_session, contact.id, "request", None)
    db_session.refresh(waiting)
    assert waiting.payload is None


def test_old_closed_requests_are_retained_no_longer_than_the_period(client, db_session):
    from intake.services.privacy import retention

    people = {name: f"{name.lower()}@example.com" for name in ("Old", "Recent", "Waiting")}
    for name, email in people.items():
        submit(client, "/callback", {**GOOD_CALLBACK, "first_name": name, "email": email,
                                     "phone": f"(212) 555-01{len(name):02d}"})  # fmt: skip
    contacts = {name: contact_of(db_session, email) for name, email in people.items()}
    from intake.services.inbox import callbacks
    from intake.services.queue import queue

    for request in db_session.scalars(select(CallbackRequest)):
        callbacks.queue_callback(db_session, request.id)
    for name in ("Old", "Recent"):  # their calls are done; Waiting's is still queued
        item = db_session.scalars(
            select(QueueItem).where(QueueItem.contact_id == contacts[name].id)
        ).one()
        queue.close(db_session, item, "completed", "reached", utcnow())
    db_session.flush()
    long_ago = utcnow() - timedelta(days=400)
    for name in ("Old", "Waiting"):
        _backdate(db_session, contacts[name].id, long_ago)

    dry = retention.purge(db_session, timedelta(days=365), dry_run=True)
    assert dry.contacts == 1 and contacts["Old"].erased_at is None
    db_session.expire_all()
    assert db_session.get(Contact, contacts["Old"].id).erased_at is None  # dry: nothing changed

    done = retention.purge(db_session, timedelta(days=365))
    assert done.contacts == 1 and done.totals["cases_erased"] == 1
    db_session.expire_all()
    erased = {name: db_session.get(Contact, c.id).erased_at is not None
              for name, c in contacts.items()}  # fmt: skip
    assert erased == {"Old": True, "Recent": False, "Waiting": False}
    assert retention.purge(db_session, timedelta(days=365)).contacts == 0  # nothing more to do


def _backdate(session, contact_id: int, when) -> None:
    """As if the person's last request closed ``when``."""
    for model in (Contact, CallbackRequest, QueueItem):
        column = model.id if model is Contact else model.contact_id
        session.execute(update(model).where(column == contact_id).values(updated_at=when))


def test_a_deletion_stops_mail_owed_before_it_but_not_a_later_request(db_session, canary):
    from intake.services.email import emails

    contact = contact_of(db_session, canary.email)
    erasure.erase_contact(db_session, contact.id, "request", None)
    db_session.flush()
    erased_at = db_session.scalars(select(EmailSuppression.created_at)).one()

    # mail owed before the deletion (or with no date: a resend, a check) is never sent
    owed_before = erased_at - timedelta(minutes=5)
    assert emails.suppression_reason(db_session, canary.email, owed_before) == "erased"
    assert emails.is_suppressed(db_session, canary.email)
    # the person asks again later, with consent given anew: that request is answered
    asked_later = erased_at + timedelta(minutes=5)
    assert emails.suppression_reason(db_session, canary.email, asked_later) is None


def test_a_bounce_holds_whenever_the_mail_was_owed(db_session):
    from intake.services.email import emails

    emails.suppress(db_session, "gone@example.com", "bounced")
    db_session.flush()
    later = utcnow() + timedelta(days=30)
    assert emails.suppression_reason(db_session, "gone@example.com", later) == "bounced"


def kept_email(name: str, address: str, subject: str = "Your free mesothelioma guide") -> bytes:
    """An email as the local mailbox keeps it: the person's name and address in its To line."""
    from intake.mail import compose

    return compose.build(
        mail_from="Support <support@example.org>", to_name=name, to_address=address,
        subject=subject, text=f"Dear {name}", html=f"<p>Dear {name}</p>",
        msg_id=f"<{abs(hash((name, subject)))}@example.org>",
        unsubscribe_url="https://example.org/u/T", unsubscribe_mailto_url="mailto:u@example.org",
    ).data  # fmt: skip


def test_the_local_mailbox_keeps_no_copy_of_their_emails(app, db_session, canary, tmp_path,
                                                         monkeypatch):  # fmt: skip
    from intake.mail import mailbox

    folder = tmp_path / "mailbox"
    monkeypatch.setitem(app.config, "LOCAL_MAILBOX", True)
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(folder))
    mailbox.store(folder, kept_email(canary.first, canary.email))
    mailbox.store(folder, kept_email(canary.first, canary.email.upper(), "Your call with us"))
    other = mailbox.store(folder, kept_email("Otherperson", "other.person@example.com"))
    assert len(mailbox.addressed_to(canary.email)) == 2  # the control: both are found as theirs

    erasure.erase_contact(db_session, contact_of(db_session, canary.email).id, "request", None)

    assert [path.name for path in folder.iterdir()] == [other]  # someone else's mail stays
    assert canary.first not in (folder / other).read_text()
