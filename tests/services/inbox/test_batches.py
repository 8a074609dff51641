"""Processing received forms a batch to a transaction: the same rows as one by one, once each."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text, update

from intake.models import (
    CallbackRequest,
    Case,
    CaseContact,
    CaseFact,
    ConsentRecord,
    Contact,
    GuideRequest,
    OutboxMessage,
    PossibleMatch,
    Submission,
)
from intake.services.inbox import leads, newcomers, submissions
from intake.services.inbox.leads import CallbackSubmission, GuideSubmission
from intake.services.people.contacts import CaseFacts, Person

AREA = {"alpha": "212", "beta": "646"}  # each run's own phones, emails and names


def _person(tag: str, name: str, email: str | None, line: str | None) -> Person:
    return Person(
        first_name=name,
        last_name=f"Doe-{tag}",
        email=f"{email}.{tag}@example.com" if email else None,
        phone=f"+1{AREA[tag]}55501{line}" if line else None,
    )


def _callback(tag: str, name: str, email: str | None, line: str, **case) -> CallbackSubmission:
    return CallbackSubmission(
        submission_key=str(uuid.uuid4()),
        person=_person(tag, name, email, line),
        case=CaseFacts(relationship="self", **case),
        best_time="morning",
        language="en",
        email_fallback=bool(email),
    )


def _received(session, form: str, data) -> int:
    return submissions.receive(session.connection(), form, data, "203.0.113.9")


def _forms(session, tag: str) -> list[int]:
    """A batch that takes every path: newcomers (full, phone only, sharing an email with a
    contact on file), a person on file again, two forms sharing a phone, a guide request."""
    for name, line in (("Olga", "00"), ("Pete", "05")):
        on_file = _received(
            session, "callback", _callback(tag, name, name.lower(), line, zip="10001")
        )
        assert submissions.process(session, on_file) is not None
    full = dict(diagnosis_type="pleural", stage="2", veteran=False, zip="10001", state="NY")
    return [
        _received(session, "callback", _callback(tag, "Ana", "ana", "01", **full)),
        _received(
            session, "callback", _callback(tag, "Ben", None, "02", diagnosis_type="not_sure")
        ),
        _received(session, "callback", _callback(tag, "Pete", "pete", "05", stage="3")),
        _received(session, "callback", _callback(tag, "Oleg", "olga", "03", zip="60601")),
        _received(session, "callback", _callback(tag, "Cara", "cara", "04")),
        _received(session, "callback", _callback(tag, "Carl", "carl", "04", veteran=True)),
        _received(
            session,
            "guide",
            GuideSubmission(
                submission_key=str(uuid.uuid4()),
                person=_person(tag, "Gina", "gina", None),
                case=CaseFacts(relationship="child", diagnosis_type="peritoneal", zip="10001"),
                topics=["treatment"],
                deliver_email=True,
                deliver_mail=False,
            ),
        ),
    ]


def _picture(session, ids: list[int], tag: str) -> list[str]:
    """Every row the forms made, without ids, times or the run's own tag: comparable."""
    session.expire_all()
    names = {c.id: c.first_name for c in session.scalars(select(Contact))}
    lines = []
    in_order = select(Submission).where(Submission.id.in_(ids)).order_by(Submission.id)
    for submission in session.scalars(in_order):  # the order the forms came in, in both runs
        model = GuideRequest if submission.form == "guide" else CallbackRequest
        request = session.get(model, submission.request_id)
        contact, case = session.get(Contact, request.contact_id), session.get(Case, request.case_id)
        jobs = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        lines += [
            (submission.status, submission.attempts, submission.last_error),
            (contact.first_name, contact.last_name, contact.email, contact.phone,
             contact.email_hash is not None, contact.phone_hash is not None,
             contact.do_not_call, contact.phone_wrong, contact.email_opt_out),
            (case.diagnosis_type, case.stage, case.cell_type, case.veteran,
             case.diagnosed_recently, case.zip, case.state, case.timezone,
             sorted((k, names[v]) for k, v in (case.fact_sources or {}).items())),
            getattr(request, "best_time", None), getattr(request, "times_requested", None),
            request.language, request.status, request.case_id == case.id,
            sorted((names[link.contact_id], link.relation) for link in
                   session.scalars(select(CaseContact).where(CaseContact.case_id == case.id))),
            sorted((g.purpose, g.channel, g.covers, g.text_version, g.text_sha256, g.source,
                    g.ip_address, g.granted_at == submission.received_at, g.revoked_at) for g in
                   session.scalars(select(ConsentRecord).where(
                       ConsentRecord.contact_id == contact.id))),
            sorted((f.source, names[f.contact_id], sorted(f.facts.items())) for f in
                   session.scalars(select(CaseFact).where(CaseFact.request_id == request.id,
                                                         CaseFact.source == submission.form))),
            sorted((m.shared, names[m.other_contact_id]) for m in
                   session.scalars(select(PossibleMatch).where(
                       PossibleMatch.contact_id == contact.id))),
            [(j.task_name, j.published_at, j.processed_at) for j in jobs if (j.task_name, j.args)
             in [(leads.TASK_QUEUE_CALLBACK, [request.id]), (leads.TASK_MATCH_CASE, [case.id])]],
        ]  # fmt: skip
    return [repr(line).replace(tag, "TAG").replace(f"+1{AREA[tag]}", "+1AREA") for line in lines]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_batch_makes_the_rows_each_form_alone_would(db_session):
    """Eight paths at once against the same forms one transaction each (other people)."""
    batch = _forms(db_session, "alpha")
    alone = _forms(db_session, "beta")
    db_session.commit()
    relayed: list[list[int]] = []
    assert submissions.process_many(db_session, batch, relay=relayed.append) == []
    assert len(relayed) == 1  # one relay for the batch's jobs
    assert submissions.process_many(db_session, alone, relay=lambda _ids: None, batch_size=1) == []
    batch_rows = _picture(db_session, batch, "alpha")
    assert batch_rows == _picture(db_session, alone, "beta")
    text = "".join(batch_rows)
    assert "Oleg" in text and "('email', 'Olga')" in text  # a mark made set-wise
    assert "'Pete', 'Doe-TAG', 'pete.TAG@example.com'" in text
    assert "'phone', 'Cara'" in text  # the later of two forms sharing a phone marks it


def test_newcomers_are_built_set_wise_and_the_rest_one_by_one(db_session):
    ids = _forms(db_session, "alpha")
    rows = [db_session.get(Submission, i) for i in ids]
    arrivals = [
        newcomers.Arrival(row.id, submissions.decode(row), submissions._receipt(row))
        for row in rows
    ]
    built, left = newcomers.build(db_session, arrivals)
    names = {a.submission_id: a.form.person.first_name for a in arrivals}
    jobs = {names[i]: len(done.outbox_ids) for i, done in built.items()}
    assert jobs == {"Ana": 2, "Ben": 1, "Oleg": 1}  # queue, and match for a diagnosis and ZIP
    # Pete's email and phone are on file: handed back to join that contact
    assert [names[a.submission_id] for a in left] == ["Pete", "Cara", "Carl", "Gina"]


def test_one_bad_form_in_a_batch_fails_alone(db_session):
    """A statement that fails for one form rolls the batch back; each then runs alone."""
    good = [_received(db_session, "callback", _callback("alpha", n, n.lower(), f"1{i}"))
            for i, n in enumerate(["Ana", "Ben", "Cy"])]  # fmt: skip
    bad = _received(db_session, "callback", _callback("beta", "Dee", "dee", "20"))
    row = db_session.get(Submission, bad)
    payload = dict(row.payload, data=dict(row.payload["data"], best_time="x" * 40))
    db_session.execute(update(Submission).where(Submission.id == bad).values(payload=payload))
    db_session.commit()  # a best time too long for its column: only the INSERT finds out
    relayed: list[list[int]] = []
    failed = submissions.process_many(db_session, [*good, bad], relay=relayed.append)
    assert failed == [bad]
    db_session.expire_all()
    assert [db_session.get(Submission, i).status for i in good] == ["processed"] * 3
    row = db_session.get(Submission, bad)
    assert row.status == "failing" and row.last_error.startswith("DataError at ")
    assert row.attempts == 1  # counted once, though it ran in the batch and then alone
    assert _count(db_session, CallbackRequest) == 3 and len(relayed) == 3  # each relayed alone


def test_a_redelivered_batch_doubles_nothing(db_session):
    ids = _forms(db_session, "alpha")
    db_session.commit()
    tables = (Contact, Case, CaseContact, CaseFact, ConsentRecord, CallbackRequest,
              GuideRequest, OutboxMessage, PossibleMatch)  # fmt: skip
    assert submissions.process_many(db_session, ids, relay=lambda _ids: None) == []
    after_first = [_count(db_session, model) for model in tables]
    relayed: list[list[int]] = []
    assert submissions.process_many(db_session, [*ids, *ids], relay=relayed.append) == []
    assert [_count(db_session, model) for model in tables] == after_first and relayed == []
    db_session.expire_all()
    assert {db_session.get(Submission, i).attempts for i in ids} == {1}


def test_a_form_tried_before_runs_alone_so_it_cannot_stop_its_batch(db_session, monkeypatch):
    """A form whose earlier attempt never finished (its worker died) is kept out of the batch."""
    fresh = [_received(db_session, "callback", _callback("alpha", n, n.lower(), f"1{i}"))
             for i, n in enumerate(["Ana", "Ben"])]  # fmt: skip
    tried = _received(db_session, "callback", _callback("alpha", "Cy", "cy", "30"))
    assert submissions.begin_attempt(db_session, tried)  # its worker died in the work
    db_session.commit()
    batches = []
    real = submissions._build_batch
    monkeypatch.setattr(
        submissions, "_build_batch", lambda s, ids: batches.append(ids) or real(s, ids)
    )
    assert submissions.process_many(db_session, [*fresh, tried], relay=lambda _ids: None) == []
    assert batches == [fresh]
    db_session.expire_all()
    assert [db_session.get(Submission, i).attempts for i in [*fresh, tried]] == [1, 1, 2]
    assert _count(db_session, CallbackRequest) == 3
    assert leads.TASK_QUEUE_CALLBACK in {m.task_name for m in db_session.scalars(
        select(OutboxMessage))}  # fmt: skip


def test_a_batch_relays_its_jobs_in_pieces_the_relay_takes_whole(db_session, monkeypatch):
    monkeypatch.setattr(submissions, "RELAY_LIMIT", 2)
    ids = [_received(db_session, "callback", _callback("alpha", n, n.lower(), f"1{i}", zip="10001",
                                                       diagnosis_type="pleural"))
           for i, n in enumerate(["Ana", "Ben", "Cy"])]  # fmt: skip
    db_session.commit()
    relayed: list[list[int]] = []
    assert submissions.process_many(db_session, ids, relay=relayed.append) == []
    owed = db_session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    assert [len(piece) for piece in relayed] == [2, 2, 2]  # a queue and a match job each
    assert sorted(job for piece in relayed for job in piece) == owed


@pytest.mark.committed
def test_rows_another_worker_holds_are_left_to_it_without_a_wait(app, committed_db):
    """Two workers given the same forms (a redelivered batch, the sweep racing the web's
    announcement): the second skips the rows the first holds, at once, and counts no attempt
    on them; they are the first's to finish (or the sweep's, if it dies).

    An earlier chaos run (issue 26) found it: the second worker's attempt count waited on
    the first's batch lock for the whole of its transaction, then found the rows done.
    """
    ids = [_received(committed_db, "callback", _callback("beta", name, name.lower(), f"2{i}"))
           for i, name in enumerate(["Ana", "Ben", "Cara"])]  # fmt: skip
    committed_db.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    first_worker = other.connect()  # mid-batch: it holds the first form's row
    first_worker.execute(text("SELECT id FROM submissions WHERE id = :id FOR UPDATE"),
                         {"id": ids[0]})  # fmt: skip
    release = threading.Timer(3.0, first_worker.rollback)
    release.start()
    began = time.monotonic()
    try:
        failed = submissions.process_many(committed_db, ids, relay=lambda _ids: None)
        waited = time.monotonic() - began
    finally:
        release.cancel()
        first_worker.rollback()
        first_worker.close()
        other.dispose()
    assert waited < 2.0, f"waited {waited:.1f} s for the other worker's lock"
    assert failed == []
    committed_db.expire_all()
    held, *rest = [committed_db.get(Submission, i) for i in ids]
    assert (held.processed_at, held.attempts) == (None, 0)
    assert [(row.processed_at is not None, row.attempts) for row in rest] == [(True, 1)] * 2
