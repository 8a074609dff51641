"""The inbox: one sealed row per received form, processed once into leads by the worker."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from intake.cli import main as intake_cli
from intake.models import CallbackRequest, ConsentRecord, Contact, GuideRequest, Submission
from intake.models.base import utcnow
from intake.services.inbox import submissions
from intake.services.people import consent
from tests.services.inbox.test_leads import callback, guide


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def received(session, form, data, ip="203.0.113.9") -> Submission:
    return session.get(Submission, submissions.receive(session.connection(), form, data, ip))


def noop(_ids):
    return None


def test_a_received_form_is_sealed_at_rest(db_session):
    row = received(db_session, submissions.CALLBACK, callback())
    raw = db_session.execute(
        text("SELECT payload FROM submissions WHERE id = :id"), {"id": row.id}
    ).scalar_one()
    for personal in (b"Maria", b"maria@example.com", b"+12125550143", b"203.0.113.9", b"10001"):
        assert personal not in bytes(raw)
    assert submissions.decode(row) == callback(key=row.submission_key)
    assert row.status == "received" and row.attempts == 0


def test_receiving_is_idempotent_per_form_and_key(db_session):
    key = str(uuid.uuid4())
    connection = db_session.connection()
    first = submissions.receive(connection, submissions.GUIDE, guide(key=key), None)
    again = submissions.receive(connection, submissions.GUIDE, guide(key=key), None)
    other_form = submissions.receive(connection, submissions.CALLBACK, callback(key=key), None)
    assert first == again and other_form != first
    assert count(db_session, Submission) == 2


def test_processing_builds_the_leads_once_with_the_time_and_ip_of_arrival(db_session):
    row = received(db_session, submissions.CALLBACK, callback())
    db_session.execute(  # the worker ran a while after the form arrived
        update(Submission)
        .where(Submission.id == row.id)
        .values(received_at=utcnow() - timedelta(minutes=5))
    )
    db_session.expire_all()
    outcome = submissions.process(db_session, row.id)
    assert outcome is not None and outcome.created and outcome.outbox_ids
    assert submissions.process(db_session, row.id) is None  # a second delivery does nothing
    db_session.refresh(row)
    assert row.status == "processed" and row.request_id == outcome.request.id
    grant = db_session.scalars(select(ConsentRecord)).one()
    assert grant.granted_at == row.received_at  # when the box was ticked, not when processed
    assert grant.ip_address == "203.0.113.9"
    assert (count(db_session, Contact), count(db_session, CallbackRequest)) == (1, 1)


def test_the_ledger_records_the_wording_the_form_showed(db_session, monkeypatch):
    older = consent.ConsentText(
        version="callback-calls-2026-01-01",
        purpose=consent.CALLBACK_CONSENT.purpose,
        channel="phone",
        text="An older wording of the call consent.",
    )
    monkeypatch.setitem(consent.TEXTS, older.version, older)
    with monkeypatch.context() as shown_then:
        shown_then.setattr(
            consent, "versions_shown", lambda form, shown_in="en": {older.purpose: older.version}
        )
        row = received(db_session, submissions.CALLBACK, callback())  # before a new release
    submissions.process(db_session, row.id)
    grant = db_session.scalars(select(ConsentRecord)).one()
    assert (grant.text_version, grant.text_sha256) == (older.version, older.sha256)


def test_an_unknown_wording_version_is_never_recorded_as_another(db_session, monkeypatch):
    monkeypatch.setattr(
        consent,
        "versions_shown",
        lambda form, shown_in="en": {consent.CALLBACK_CONSENT.purpose: "no-such-version"},
    )
    row = received(db_session, submissions.CALLBACK, callback())
    db_session.commit()
    assert submissions.process_many(db_session, [row.id], relay=noop) == [row.id]
    db_session.refresh(row)
    assert row.status == "failing" and row.last_error.startswith("KeyError at ")
    assert count(db_session, ConsentRecord) == 0


def test_one_failing_form_does_not_hold_up_the_others(db_session):
    good = received(db_session, submissions.GUIDE, guide())
    bad = received(db_session, submissions.GUIDE, guide(email="other@example.com"))
    db_session.execute(update(Submission).where(Submission.id == bad.id).values(form="nonsense"))
    db_session.commit()
    relayed = []
    failed = submissions.process_many(db_session, [bad.id, good.id], relay=relayed.append)
    assert failed == [bad.id]
    assert count(db_session, GuideRequest) == 1 and len(relayed) == 1


def test_the_sweep_takes_only_forms_past_their_grace_and_not_yet_given_up(db_session):
    fresh = received(db_session, submissions.GUIDE, guide())
    late = received(db_session, submissions.GUIDE, guide(email="b@example.com"))
    stuck = received(db_session, submissions.GUIDE, guide(email="c@example.com"))
    done = received(db_session, submissions.GUIDE, guide(email="d@example.com"))
    old = utcnow() - timedelta(minutes=2)
    db_session.execute(
        update(Submission)
        .where(Submission.id.in_([late.id, stuck.id, done.id]))
        .values(received_at=old)
    )
    db_session.execute(
        update(Submission)
        .where(Submission.id == stuck.id)
        .values(attempts=submissions.MAX_ATTEMPTS, last_error="RuntimeError at x.py:1 in f")
    )
    submissions.process(db_session, done.id)
    assert submissions.due(db_session, grace_seconds=30) == [late.id]
    assert submissions.due(db_session, grace_seconds=0) == [fresh.id, late.id]
    assert [row.id for row in submissions.stuck(db_session)] == [stuck.id]
    assert submissions.retry(db_session, stuck.id) and not submissions.retry(db_session, done.id)
    assert submissions.due(db_session, grace_seconds=30) == [late.id, stuck.id]


def test_raw_forms_are_cleared_after_their_keeping_time_once_processed(db_session):
    kept = received(db_session, submissions.GUIDE, guide())
    waiting = received(db_session, submissions.GUIDE, guide(email="w@example.com"))
    submissions.process(db_session, kept.id)
    later = utcnow() + timedelta(days=31)
    assert submissions.purge_payloads(db_session, timedelta(days=30), now=utcnow()) == 0
    assert submissions.purge_payloads(db_session, timedelta(days=30), now=later) == 1
    db_session.expire_all()
    assert kept.payload is None and waiting.payload is not None  # unprocessed: never cleared
    assert submissions.load(db_session, kept.id, submissions.GUIDE) is None
    with pytest.raises(LookupError):
        submissions.decode(kept)


def test_a_confirmation_lookup_is_bound_to_its_form(db_session):
    row = received(db_session, submissions.GUIDE, guide())
    assert submissions.load(db_session, row.id, submissions.GUIDE) is not None
    assert submissions.load(db_session, row.id, submissions.CALLBACK) is None
    assert submissions.load(db_session, row.id + 1000, submissions.GUIDE) is None


def test_the_cli_lists_and_retries_forms_that_need_a_person(app, db_session):
    row = received(db_session, submissions.GUIDE, guide())
    db_session.execute(
        update(Submission)
        .where(Submission.id == row.id)
        .values(attempts=submissions.MAX_ATTEMPTS, last_error="KeyError at consent.py:9 in w")
    )
    runner = app.test_cli_runner()
    listing = runner.invoke(intake_cli, args=["submissions", "list"])
    assert listing.exit_code == 0, listing.output
    assert "1 received forms not processed yet; 1 need a person." in listing.output
    assert f"#{row.id} guide" in listing.output and "KeyError at consent.py:9" in listing.output
    assert "Robert" not in listing.output
    retried = runner.invoke(intake_cli, args=["submissions", "retry", str(row.id)])
    assert retried.exit_code == 0 and f"#{row.id} will be processed again" in retried.output
    missing = runner.invoke(intake_cli, args=["submissions", "retry", "999999"])
    assert missing.exit_code != 0 and "999999" in missing.output


def test_an_attempt_counts_before_the_work_so_a_worker_killed_by_a_form_stops_retrying(
    db_session,
):
    """A form that kills its worker is redelivered; each start counts, so it stops looping."""
    row = received(db_session, submissions.GUIDE, guide())
    for _ in range(submissions.MAX_ATTEMPTS):  # each start, then the process dies
        assert submissions.begin_attempt(db_session, row.id)
    assert not submissions.begin_attempt(db_session, row.id)
    assert submissions.process_many(db_session, [row.id], relay=noop) == []
    db_session.expire_all()
    assert [stuck.id for stuck in submissions.stuck(db_session)] == [row.id]
    assert count(db_session, GuideRequest) == 0


def test_a_processed_form_counts_one_attempt(db_session):
    row = received(db_session, submissions.GUIDE, guide())
    assert submissions.process_many(db_session, [row.id], relay=noop) == []
    db_session.expire_all()
    assert row.attempts == 1 and row.status == "processed"
    assert not submissions.begin_attempt(db_session, row.id)


@pytest.mark.parametrize(
    "data",
    [
        callback(veteran=True, diagnosed_recently=False),
        dataclasses.replace(
            guide(), topics=["treatment", "financial"], deliver_mail=True,
            postal_address={"line1": "1 Main St", "zip": "10001"},
        ),
    ],
)  # fmt: skip
def test_the_sealed_payload_holds_what_asdict_would(data):
    # as_plain skips asdict's copy of every leaf on the intake POST; the payload must not change
    plain = submissions.as_plain(data)
    assert plain == dataclasses.asdict(data)
    assert plain["person"]["first_name"] in {"Maria", "Robert"}  # the control: real fields read
    assert all(type(plain[k]) is type(v) for k, v in dataclasses.asdict(data).items())
