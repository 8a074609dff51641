"""``run_job``: each outbox job counted, locked, stamped once; failures kept without messages."""

from __future__ import annotations

from datetime import timedelta

from intake.cli import main as intake_cli
from intake.models import OutboxMessage
from intake.models.base import utcnow
from intake.services import outbox
from worker.jobs import run_job


def _job(session) -> int:
    job = outbox.enqueue_job(session, "callbacks.enqueue", 1)
    session.flush()
    return job.id


def _row(session, job_id):
    session.expire_all()
    return session.get(OutboxMessage, job_id)


def test_a_job_runs_its_work_once_and_is_stamped_with_it(app, db_session):
    job_id = _job(db_session)
    calls = []
    assert run_job(job_id, lambda session: calls.append(1) or "done") == "done"
    assert run_job(job_id, lambda session: calls.append(1) or "again") is None
    row = _row(db_session, job_id)
    assert calls == [1] and row.status == "processed" and row.runs == 1


def test_a_failed_run_keeps_its_type_and_place_not_its_message_and_backs_off(app, db_session):
    job_id = _job(db_session)

    def fails(session):
        raise ValueError("could not parse +12125550143 for Maria")

    before = utcnow()
    assert run_job(job_id, fails) is None
    row = _row(db_session, job_id)
    assert row.status == "pending" and row.runs == 1
    assert row.last_error.startswith("ValueError at test_jobs.py:")
    assert "Maria" not in row.last_error and "555" not in row.last_error
    assert row.failures == 1
    assert row.due_at >= before + timedelta(seconds=119)  # one failed run: twice the base


def test_a_job_that_fails_every_try_ends_waiting_for_a_person_listed_by_the_cli(
    app, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_RUNS", 3)
    job_id = _job(db_session)

    def fails(session):
        raise RuntimeError("boom")

    for _ in range(4):
        assert run_job(job_id, fails) is None
    row = _row(db_session, job_id)
    assert row.status == "gave_up" and row.runs == 4
    listing = app.test_cli_runner().invoke(intake_cli, ["outbox", "list"])
    assert listing.exit_code == 0, listing.output
    assert "1 job(s) wait for a person." in listing.output
    assert f"#{job_id} callbacks.enqueue(1,)" in listing.output
    status = app.test_cli_runner().invoke(intake_cli, ["outbox", "status", "--json"])
    assert '"gave_up": 1' in status.output
    retried = app.test_cli_runner().invoke(intake_cli, ["outbox", "retry", str(job_id)])
    assert retried.exit_code == 0 and _row(db_session, job_id).status == "pending"
    again = app.test_cli_runner().invoke(intake_cli, ["outbox", "retry", str(job_id)])
    assert again.exit_code != 0 and "not waiting for a person" in again.output


def test_a_job_may_reschedule_itself_without_counting_as_a_crash(app, db_session):
    job_id = _job(db_session)
    at = utcnow() + timedelta(minutes=3)
    result = run_job(job_id, lambda session: outbox.Reschedule(at, "451 from the mail server"))
    assert isinstance(result, outbox.Reschedule)
    row = _row(db_session, job_id)
    assert row.status == "pending" and row.runs == 0
    assert abs((row.due_at - at).total_seconds()) < 0.01


def test_a_job_taken_while_the_database_is_down_stays_due_for_the_relay(
    app, db_session, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    job_id = _job(db_session)
    db_session.commit()  # (within the test's outer transaction)

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(outbox, "begin_run", database_down)
    assert run_job(job_id, lambda session: "never") is None
    monkeypatch.undo()
    row = _row(db_session, job_id)
    assert row.status == "pending" and row.runs == 0 and row.due_at <= utcnow()
