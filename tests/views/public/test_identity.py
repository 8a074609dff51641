"""The security review's two high findings, reproduced through the public routes.

Nothing a public form says is verified: a stranger who knows a patient's
email or phone can neither rewrite the patient's record nor erase it.  Each
test failed on the main of 2026-12-04 (the stranger's form rewrote the
contact's phone and the case; the deletion link erased the patient).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from intake.models import (
    CallbackRequest,
    Case,
    Contact,
    DeletionRequest,
    EmailDelivery,
    OutboxMessage,
    PossibleMatch,
    QueueItem,
)
from intake.services.inbox import callbacks
from intake.services.people.contacts import email_hash, phone_hash
from intake.services.privacy import deletion
from tests.conftest import submit
from tests.views.conftest import csrf_token, post_form

PATIENT = {
    "first_name": "Eleanor", "last_name": "Whitfield", "phone": "(212) 555-0171",
    "email": "eleanor.whitfield@example.com", "relationship": "self",
    "diagnosis_type": "pleural", "stage": "4", "zip": "10001", "veteran": "yes",
    "best_time": "asap", "language": "en", "consent_calls": "y",
}  # fmt: skip
STRANGER = {
    "first_name": "Mallory", "last_name": "Stone", "phone": "(305) 555-0188",
    "email": "eleanor.whitfield@example.com", "relationship": "self",
    "diagnosis_type": "peritoneal", "stage": "1", "zip": "33101", "veteran": "no",
    "best_time": "evening", "language": "en", "consent_calls": "y",
}  # fmt: skip


def queue_all(db_session) -> None:
    """What the worker's queue job does for every received callback request."""
    received = select(CallbackRequest.id).where(CallbackRequest.status == "received")
    for request_id in db_session.scalars(received.order_by(CallbackRequest.id)).all():
        callbacks.queue_callback(db_session, request_id)
    db_session.flush()


def contact_by_phone(db_session, e164: str) -> Contact:
    return db_session.scalars(select(Contact).where(Contact.phone_hash == phone_hash(e164))).one()


@pytest.fixture
def callable_now(monkeypatch):
    """Calling hours allow every minute: the lead pages are opened at the real clock."""
    from intake import calling

    real = calling.check

    def allowed(place, at, chosen=None, recent=()):
        decision = real(place, at, chosen, recent)
        return type(decision)(True, decision.local_time, decision.window, decision.rule,
                              decision.local_time, "")  # fmt: skip

    monkeypatch.setattr(calling, "check", allowed)


def open_lead(client, db_session, item: QueueItem) -> str:
    item.callable_from = datetime(2026, 1, 1, tzinfo=UTC)
    db_session.flush()
    page = client.get(f"/advocate/leads/{item.id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_a_stranger_who_knows_her_email_cannot_rewrite_her_phone_or_her_case(
    client, db_session, login_as, callable_now
):
    assert submit(client, "/callback", PATIENT).status_code == 303
    queue_all(db_session)
    patient = contact_by_phone(db_session, "+12125550171")
    patient_item = db_session.scalars(select(QueueItem)).one()

    assert submit(client, "/callback", STRANGER).status_code == 303
    queue_all(db_session)
    db_session.expire_all()

    patient = db_session.get(Contact, patient.id)
    assert (patient.first_name, patient.phone) == ("Eleanor", "+12125550171")
    case = db_session.scalars(
        select(Case).join(CallbackRequest, CallbackRequest.case_id == Case.id)
        .where(CallbackRequest.contact_id == patient.id)
    ).one()  # fmt: skip
    assert (case.diagnosis_type, case.stage, case.veteran, case.zip, case.state) == (
        "pleural", "4", True, "10001", "NY",
    )  # fmt: skip
    item = db_session.get(QueueItem, patient_item.id)
    assert (item.state, item.best_time, item.phone_hash) == (
        "NY", "asap", phone_hash("+12125550171"),
    )  # fmt: skip
    stranger = contact_by_phone(db_session, "+13055550188")
    assert stranger.id != patient.id  # her own request, on her own contact
    [mark] = db_session.scalars(select(PossibleMatch)).all()
    assert (mark.contact_id, mark.other_contact_id, mark.shared) == (
        stranger.id, patient.id, "email",
    )  # fmt: skip
    stranger_item = db_session.scalars(
        select(QueueItem).where(QueueItem.contact_id == stranger.id)
    ).one()
    assert stranger_item.state == "FL"

    login_as("admin")  # may open any lead; an advocate sees the same page for a claim they hold
    patient_page = open_lead(client, db_session, item)
    assert "(212) 555-0171" in patient_page and "(305) 555-0188" not in patient_page
    assert "Pleural" in patient_page and "Stage 4" in patient_page
    assert "Possibly the same person" in patient_page and "Mallory" in patient_page
    assert "same email address as Eleanor" in patient_page
    stranger_page = open_lead(client, db_session, stranger_item)
    assert "Possibly the same person" in stranger_page and "Eleanor" in stranger_page
    assert "(212) 555-0171" not in stranger_page  # not linked: her number is not shown


def test_a_stranger_who_knows_her_phone_cannot_erase_her(client, db_session):
    phone_only = {**PATIENT, "email": ""}
    assert submit(client, "/callback", phone_only).status_code == 303
    queue_all(db_session)
    patient = contact_by_phone(db_session, "+12125550171")
    item = db_session.scalars(select(QueueItem)).one()

    attacker = {**STRANGER, "phone": PATIENT["phone"], "email": "mallory@example.net"}
    assert submit(client, "/callback", attacker).status_code == 303
    queue_all(db_session)
    db_session.expire_all()
    assert db_session.get(Contact, patient.id).email is None  # nobody's point was filled in

    page = "/privacy/delete"
    answer = client.post(page, data={"csrf_token": csrf_token(client, page),
                                     "email": "mallory@example.net"})  # fmt: skip
    assert answer.status_code == 200
    for job in db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == deletion.TASK_PROCESS)
    ).all():
        deletion.process(db_session, job.args[0])
    row = db_session.scalars(select(DeletionRequest)).one()
    assert row.contact_id != patient.id
    delivery = db_session.scalars(
        select(EmailDelivery).where(EmailDelivery.request_id == row.id)
    ).one()
    with client.application.test_request_context():
        email = deletion.compose_confirmation(db_session, delivery, "mallory@example.net")
        link = f"{page}/{deletion.token_for(row.id, row.contact_id)}"
    text = message_from_bytes(email.data, policy=policy.default).get_body(("plain",))
    body = text.get_content()
    assert "Eleanor" not in body and "Dear Mallory" in body  # the name that came with X only
    done = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert done.status_code == 200 and "Your information is deleted" in done.get_data(True)

    db_session.expire_all()
    patient = db_session.get(Contact, patient.id)
    assert patient.erased_at is None and patient.first_name == "Eleanor"
    assert patient.phone == "+12125550171"
    item = db_session.get(QueueItem, item.id)
    assert item.status == "queued"  # her call is still owed
    mallory = db_session.get(Contact, row.contact_id)
    assert mallory.erased_at is not None and mallory.email is None


def test_erasing_the_first_caller_gives_a_rider_on_their_call_a_call_of_their_own(
    client, db_session
):
    from intake.services.privacy import erasure

    assert submit(client, "/callback", {**PATIENT, "email": ""}).status_code == 303
    queue_all(db_session)
    first = contact_by_phone(db_session, "+12125550171")
    second_form = {**STRANGER, "phone": PATIENT["phone"], "email": "son@example.net"}
    assert submit(client, "/callback", second_form).status_code == 303
    queue_all(db_session)
    rider = db_session.scalars(
        select(CallbackRequest).where(CallbackRequest.joined_item_id.is_not(None))
    ).one()
    erasure.erase_contact(db_session, first.id, "admin", None)
    db_session.flush()
    db_session.refresh(rider)
    assert (rider.status, rider.joined_item_id) == ("received", None)
    jobs = db_session.scalars(
        select(OutboxMessage.args).where(OutboxMessage.task_name == callbacks.TASK_ENQUEUE)
    ).all()
    assert [rider.id] in jobs
    assert callbacks.queue_callback(db_session, rider.id)
    owed = db_session.scalars(select(QueueItem).where(QueueItem.status == "queued")).one()
    assert owed.contact_id == rider.contact_id


def test_a_deletion_email_greets_nobody_by_a_name_another_person_gave(client, db_session):
    for name in ("Eleanor", "Mallory"):
        form = {"first_name": name, "email": "shared@example.com", "relationship": "self",
                "topics": ["treatment"], "deliver_email": "y"}  # fmt: skip
        assert submit(client, "/guide", form).status_code == 303
    contacts = db_session.scalars(
        select(Contact).where(Contact.email_hash == email_hash("shared@example.com"))
    ).all()
    assert len(contacts) == 2
    assert deletion.greeting_name(db_session, contacts[0]) is None
    assert deletion.owners_of_address(db_session, contacts[1].id) == [c.id for c in contacts]


def test_a_reference_names_one_request_and_cannot_be_guessed(client, db_session):
    from intake.services.inbox import references

    sent = submit(client, "/callback", PATIENT)
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    reference = re.search(r"Your reference: <strong>([^<]+)</strong>", page).group(1)
    with client.application.app_context():
        found = references.contact_for(db_session, f"  {reference.lower()} ")
        assert found is not None and found.first_name == "Eleanor"
        number, check = reference.split("-")
        assert references.contact_for(db_session, f"{int(number) + 1}-{check}") is None
        assert references.contact_for(db_session, number) is None
        assert references.contact_for(db_session, "' OR 1=1 --") is None


def test_linking_a_suggested_person_resolves_the_mark_and_unlinking_reopens_it(
    client, db_session, login_as, callable_now
):
    assert submit(client, "/callback", PATIENT).status_code == 303
    assert submit(client, "/callback", STRANGER).status_code == 303
    queue_all(db_session)
    patient = contact_by_phone(db_session, "+12125550171")
    other = contact_by_phone(db_session, "+13055550188")
    item = db_session.scalars(select(QueueItem).where(QueueItem.contact_id == patient.id)).one()
    login_as("admin")
    lead = f"/advocate/leads/{item.id}"
    open_lead(client, db_session, item)
    linked = post_form(client, lead + "/household",
                       {"person": str(other.id), "relationship": "spouse_partner"},
                       token_from=lead)  # fmt: skip
    assert linked.status_code == 303
    mark = db_session.scalars(select(PossibleMatch)).one()
    assert mark.resolution == "linked" and mark.resolved_at is not None
    page = client.get(lead).get_data(as_text=True)
    assert "Possibly the same person" not in page and "Mallory" in page
    assert "(305) 555-0188" in page  # linked after the call: their points are shown now
    assert "What each person told us" in page and "Peritoneal" in page
    undone = post_form(client, f"{lead}/household/{other.id}/unlink", {}, token_from=lead)
    assert undone.status_code == 303
    db_session.refresh(mark)
    assert mark.resolution is None
    db_session.expire_all()
    assert db_session.get(Contact, other.id).phone == "+13055550188"
