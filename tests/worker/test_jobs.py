"""``run_job``: each outbox job counted, locked, stamped once; failures kept without messages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from intake.cli import main as intake_cli
from intake.models import OutboxMessage
from intake.models.base import utcnow
from intake.services import outbox
from tests.conftest import kept_logging
from worker.jobs import run_batch, run_job


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


def _jobs(session, count: int) -> list[list[int]]:
    ids = [_job(session) for _ in range(count)]
    return [[job_id, n] for n, job_id in enumerate(ids)]


def test_a_batch_runs_each_job_once_and_stamps_every_row(app, db_session):
    jobs = _jobs(db_session, 4)
    calls = []
    assert run_batch(jobs, lambda session, n: calls.append(n)) == 4
    assert run_batch(jobs, lambda session, n: calls.append(n)) == 0  # a redelivered batch
    assert calls == [0, 1, 2, 3]
    assert all(_row(db_session, job_id).status == "processed" for job_id, _ in jobs)


def test_a_job_failing_in_a_batch_keeps_its_own_failure_and_undoes_only_its_own_work(
    app, db_session
):
    jobs = _jobs(db_session, 3)

    def work(session, n):
        outbox.enqueue_job(session, "outbox.noop", n)  # an effect the job writes
        session.flush()
        if n == 1:
            raise ValueError("could not parse +12125550143 for Maria")

    assert run_batch(jobs, work) == 2
    rows = [_row(db_session, job_id) for job_id, _ in jobs]
    assert [row.status for row in rows] == ["processed", "pending", "processed"]
    assert rows[1].failures == 1 and rows[1].last_error.startswith("ValueError at test_jobs.py:")
    assert "Maria" not in rows[1].last_error
    effects = db_session.scalars(
        select(OutboxMessage.args).where(OutboxMessage.task_name == "outbox.noop")
    ).all()
    assert sorted(effects) == [[0], [2]]  # the failed job's effect was rolled back with it


def test_a_batch_that_goes_well_takes_no_savepoints_and_stamps_its_rows_at_once(
    app, db_session, monkeypatch
):
    """Savepoints only once a job has failed: they cost two round trips a job."""
    jobs = _jobs(db_session, 3)
    statements: list[str] = []
    nested = []
    real_begin_nested = Session.begin_nested

    def begin_nested(self):
        nested.append(self)
        return real_begin_nested(self)

    monkeypatch.setattr(Session, "begin_nested", begin_nested)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert run_batch(jobs, lambda session, n: None) == 3
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert nested == []
    stamps = [s for s in statements if s.startswith("UPDATE outbox_messages SET processed_at")]
    assert len(stamps) == 1
    assert all(_row(db_session, job_id).status == "processed" for job_id, _ in jobs)


def test_a_job_in_a_batch_may_reschedule_itself(app, db_session):
    jobs = _jobs(db_session, 2)
    later = utcnow() + timedelta(hours=1)
    assert run_batch(jobs, lambda session, n: outbox.Reschedule(later) if n else "done") == 2
    first, second = (_row(db_session, job_id) for job_id, _ in jobs)
    assert first.status == "processed"
    assert second.status == "pending" and second.due_at == later and second.runs == 0


def test_a_batch_works_on_the_embedded_sqlite_database(app, tmp_path, monkeypatch):
    """The demo's SQLite: the per-job savepoints and the one commit behave there too."""
    from flask_migrate import upgrade

    from intake import create_app
    from intake.extensions import db

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(tmp_path))
    embedded = create_app({"TESTING": True})
    with embedded.app_context():
        with kept_logging():  # the migrations' env.py reconfigures logging
            upgrade()
        jobs = _jobs(db.session, 3)
        db.session.commit()

        def work(session, n):
            outbox.enqueue_job(session, "outbox.noop", n)
            session.flush()
            if n == 1:
                raise ValueError("broken")

        assert run_batch(jobs, work) == 2
        db.session.remove()
        rows = [_row(db.session, job_id) for job_id, _ in jobs]
        assert [row.status for row in rows] == ["processed", "pending", "processed"]
        assert rows[1].failures == 1
        effects = db.session.scalars(
            select(OutboxMessage.args).where(OutboxMessage.task_name == "outbox.noop")
        ).all()
        assert sorted(effects) == [[0], [2]]
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()  # the test app's Celery again, for later tests
