"""The intake service: one contact per person, one request per submit, all or nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from intake.models import (
    CallbackRequest,
    Case,
    CaseContact,
    ConsentRecord,
    Contact,
    EmailDelivery,
    GuideRequest,
    OutboxMessage,
    PossibleMatch,
    QueueItem,
    Submission,
)
from intake.services import outbox
from intake.services.inbox import callbacks, leads, submissions
from intake.services.inbox.leads import CallbackSubmission, GuideSubmission
from intake.services.people.contacts import CaseFacts, Person
from intake.views.public.public import SAVE_FAILED
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, form_tokens, process_received, submit

ALL_TABLES = (
    Contact,
    Case,
    CaseContact,
    GuideRequest,
    CallbackRequest,
    ConsentRecord,
    OutboxMessage,
)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def jobs(session, task_name) -> list[list]:
    """The arguments of each outbox job for one task (other jobs, e.g. matching, may follow)."""
    query = select(OutboxMessage.args).where(OutboxMessage.task_name == task_name)
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def job_targets(session, request) -> list[int]:
    """The requests the follow-up jobs serve: a guide's email send, a callback's queue entry."""
    if isinstance(request, GuideRequest):
        deliveries = {d.id: d.request_id for d in session.scalars(select(EmailDelivery)).all()}
        return [deliveries[args[0]] for args in jobs(session, "emails.send")]
    return [args[0] for args in jobs(session, leads.TASK_QUEUE_CALLBACK)]


def guide(email="robert.oneil@example.com", key=None, phone=None, **case) -> GuideSubmission:
    return GuideSubmission(
        submission_key=key or str(uuid.uuid4()),
        person=Person(first_name="Robert", last_name="O'Neil", email=email, phone=phone),
        case=CaseFacts(relationship="self", **case),
        topics=["treatment"],
        deliver_email=True,
        deliver_mail=False,
    )


def callback(phone="+12125550143", key=None, best_time="morning", **case) -> CallbackSubmission:
    return CallbackSubmission(
        submission_key=key or str(uuid.uuid4()),
        person=Person(first_name="Maria", email="maria@example.com", phone=phone),
        case=CaseFacts(relationship="spouse_partner", zip="10001", state="NY", **case),
        best_time=best_time,
        language="en",
    )


def marks(session) -> list[tuple[int, int, str]]:
    rows = session.scalars(select(PossibleMatch).order_by(PossibleMatch.id))
    return [(m.contact_id, m.other_contact_id, m.shared) for m in rows]


def test_the_same_email_and_phone_attach_to_the_same_contact(db_session):
    phone = "+12125550143"
    first = leads.submit_guide_request(
        db_session, guide(phone=phone), leads.Receipt(ip="127.0.0.1")
    )
    second = leads.submit_guide_request(
        db_session, guide(phone=phone), leads.Receipt(ip="10.0.0.2")
    )
    assert first.created and second.created
    assert first.request.contact_id == second.request.contact_id
    assert (count(db_session, Contact), count(db_session, GuideRequest)) == (1, 2)
    assert count(db_session, Case) == 1  # the same patient, not a new case per request
    assert marks(db_session) == []


def test_the_same_email_alone_is_a_new_contact_marked_as_possibly_the_same(db_session):
    first = leads.submit_guide_request(db_session, guide(), leads.Receipt(ip="127.0.0.1"))
    second = leads.submit_guide_request(db_session, guide(), leads.Receipt(ip="127.0.0.1"))
    assert first.created and second.created
    assert first.request.contact_id != second.request.contact_id
    assert (count(db_session, Contact), count(db_session, Case)) == (2, 2)
    assert marks(db_session) == [(second.request.contact_id, first.request.contact_id, "email")]


def test_email_in_other_letter_case_is_the_same_address_through_the_form(client, db_session):
    submit(client, "/guide", GOOD_GUIDE, email="Robert.ONeil@Example.com")
    submit(client, "/guide", GOOD_GUIDE, email="ROBERT.ONEIL@EXAMPLE.COM ")
    assert set(db_session.scalars(select(Contact.email))) == {"robert.oneil@example.com"}
    assert [shared for *_ids, shared in marks(db_session)] == ["email"]


def test_same_phone_in_another_format_is_one_call(client, db_session):
    for phone in ("(212) 555-0143", "212.555.0143", "+1 212 555 0143", "2125550143"):
        sent = submit(
            client, "/callback", GOOD_CALLBACK, phone=phone, email="", email_fallback=None
        )
        assert sent.status_code == 303
    contacts = db_session.scalars(select(Contact)).all()
    assert {contact.phone for contact in contacts} == {"+12125550143"}
    assert len(contacts) == 4  # a phone alone proves nothing: four possible same people
    assert {shared for *_ids, shared in marks(db_session)} == {"phone"}
    for request in db_session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)).all():
        assert callbacks.queue_callback(db_session, request.id)  # as the worker's job does
    items = db_session.scalars(select(QueueItem)).all()
    assert len(items) == 1  # the number is never called twice at once
    riding = db_session.scalars(
        select(CallbackRequest).where(CallbackRequest.joined_item_id == items[0].id)
    ).all()
    assert len(riding) == 3
    covered = set(db_session.scalars(select(ConsentRecord.covers)))
    assert covered == {"+12125550143"}  # the ledger covers the one normalised number


def test_phone_and_email_from_different_forms_stay_on_their_own_contacts(client, db_session):
    submit(
        client, "/callback", GOOD_CALLBACK, phone="(212) 555-0143", email="", email_fallback=None
    )
    submit(client, "/guide", GOOD_GUIDE, email="Maria.Lopez@Example.com")  # email only: new
    submit(
        client, "/callback", GOOD_CALLBACK, phone="212.555.0143", email="maria.lopez@example.com"
    )
    contacts = db_session.scalars(select(Contact).order_by(Contact.id)).all()
    assert [(c.phone, c.email) for c in contacts] == [
        ("+12125550143", None),  # nobody's points are filled in or replaced by another form
        (None, "maria.lopez@example.com"),
        ("+12125550143", "maria.lopez@example.com"),
    ]
    first, second, third = (c.id for c in contacts)
    assert sorted(marks(db_session)) == [(third, first, "phone"), (third, second, "email")]
    assert [r.times_requested for r in db_session.scalars(select(CallbackRequest))] == [1, 1]


def test_an_open_callback_is_updated_not_duplicated(db_session):
    first = leads.submit_callback_request(db_session, callback(), leads.Receipt(ip="127.0.0.1"))
    again = leads.submit_callback_request(
        db_session,
        callback(phone="+12125550143", best_time="evening", stage="4"),
        leads.Receipt(ip="10.0.0.2"),
    )
    assert first.created and not again.created and again.outbox_ids == []
    assert again.request.id == first.request.id
    request = db_session.scalars(select(CallbackRequest)).one()
    assert (request.times_requested, request.best_time) == (2, "evening")
    assert request.case.stage == "4"
    assert jobs(db_session, leads.TASK_QUEUE_CALLBACK) == [[first.request.id]]
    assert count(db_session, Contact) == 1


def test_a_closed_callback_does_not_swallow_a_new_ask(db_session):
    first = leads.submit_callback_request(db_session, callback(), leads.Receipt(ip="127.0.0.1"))
    first.request.status = "completed"
    db_session.flush()
    again = leads.submit_callback_request(db_session, callback(), leads.Receipt(ip="127.0.0.1"))
    assert again.created and again.request.id != first.request.id
    assert jobs(db_session, leads.TASK_QUEUE_CALLBACK) == [[first.request.id], [again.request.id]]


@pytest.mark.parametrize("submit_fn", [leads.submit_guide_request, leads.submit_callback_request])
def test_the_same_submission_key_twice_is_one_request(db_session, submit_fn):
    form = guide(key=str(uuid.uuid4())) if submit_fn is leads.submit_guide_request else callback()
    first = submit_fn(db_session, form, leads.Receipt(ip="127.0.0.1"))
    second = submit_fn(db_session, form, leads.Receipt(ip="127.0.0.1"))
    assert first.created and not second.created and second.outbox_ids == []
    assert second.request.id == first.request.id
    assert job_targets(db_session, first.request) == [first.request.id]
    assert count(db_session, OutboxMessage) == len(first.outbox_ids)
    assert count(db_session, ConsentRecord) == 1


@pytest.mark.parametrize(("path", "data"), [("/guide", GOOD_GUIDE), ("/callback", GOOD_CALLBACK)])
def test_a_double_click_on_the_form_is_one_request(client, db_session, monkeypatch, path, data):
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)
    payload = {**form_tokens(client, path), **data}
    first, second = client.post(path, data=payload), client.post(path, data=payload)
    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db_session, Submission) == 1
    assert process_received(client.application) == []
    model, consents = {
        "/guide": (GuideRequest, ["guide_email"]),
        "/callback": (CallbackRequest, ["advocate_calls", "followup"]),
    }[path]
    request = db_session.scalars(select(model)).one()
    assert job_targets(db_session, request) == [request.id]
    assert count(db_session, Contact) == 1
    assert count(db_session, ConsentRecord) == len(consents)  # the ledger is not doubled either
    if path == "/callback":
        assert request.times_requested == 1
    assert client.get(second.headers["Location"]).status_code == 200


PHONE = "+12125550143"


def test_not_sure_never_erases_what_we_knew(db_session):
    leads.submit_guide_request(
        db_session, guide(phone=PHONE, diagnosis_type="pleural", stage="3", cell_type="epithelioid")
    )
    leads.submit_guide_request(
        db_session,
        guide(phone=PHONE, diagnosis_type="not_sure", stage="not_sure", cell_type="not_sure"),
    )
    leads.submit_guide_request(db_session, guide(phone=PHONE))
    case = db_session.scalars(select(Case)).one()
    assert (case.diagnosis_type, case.stage, case.cell_type) == ("pleural", "3", "epithelioid")


def test_newer_known_facts_win_and_not_sure_fills_a_blank(db_session):
    leads.submit_guide_request(
        db_session, guide(phone=PHONE, diagnosis_type="not_sure", veteran=True)
    )
    case = db_session.scalars(select(Case)).one()
    assert (case.diagnosis_type, case.stage, case.veteran) == ("not_sure", None, True)
    leads.submit_guide_request(
        db_session, guide(phone=PHONE, diagnosis_type="peritoneal", stage="2")
    )
    db_session.refresh(case)
    assert (case.diagnosis_type, case.stage, case.veteran) == ("peritoneal", "2", True)


def test_not_sure_on_the_form_keeps_the_known_diagnosis(client, db_session):
    submit(client, "/callback", GOOD_CALLBACK)
    submit(client, "/callback", GOOD_CALLBACK, diagnosis_type="not_sure", stage="not_sure")
    case = db_session.scalars(select(Case)).one()
    assert (case.diagnosis_type, case.stage) == ("pleural", "3")


@pytest.mark.parametrize(
    ("path", "data", "request_model"),
    [("/guide", GOOD_GUIDE, GuideRequest), ("/callback", GOOD_CALLBACK, CallbackRequest)],
)
def test_a_failure_after_the_request_row_leaves_nothing_behind(
    client, db_session, monkeypatch, path, data, request_model
):
    """The worker's transaction is all or nothing; the received form waits to be retried."""
    added = []

    def broken_enqueue(session, task_name, *args):
        added.append(session.scalars(select(request_model)).all())  # the request row is in
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(outbox, "enqueue_job", broken_enqueue)
    response = submit(client, path, data, process=False)
    assert response.status_code == 303  # the person's request is safe: the sealed form is stored
    assert process_received(client.application) != []
    assert added and len(added[0]) == 1
    for model in ALL_TABLES:
        assert count(db_session, model) == 0, model
    received = db_session.scalars(select(Submission)).one()
    assert received.processed_at is None and received.attempts == 1
    assert received.last_error.startswith("RuntimeError at ")  # the type and place, no message
    assert received.status == "failing"
    monkeypatch.undo()
    assert process_received(client.application) == []  # the retry builds everything once
    db_session.refresh(received)
    assert received.status == "processed" and received.request_id is not None
    assert count(db_session, request_model) == 1 and count(db_session, Contact) == 1


@pytest.mark.parametrize(("path", "data"), [("/guide", GOOD_GUIDE), ("/callback", GOOD_CALLBACK)])
def test_a_failed_save_keeps_what_was_typed_and_stores_nothing(
    client, db_session, monkeypatch, path, data
):
    def broken_receive(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(submissions, "receive", broken_receive)
    response = submit(client, path, data)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert str(SAVE_FAILED) in html.replace("&#39;", "'")
    assert f'value="{data["first_name"]}"' in html and 'id="error-summary"' in html
    for model in (*ALL_TABLES, Submission):
        assert count(db_session, model) == 0, model
    monkeypatch.undo()
    assert submit(client, path, data).status_code == 303  # pressing the button again works
