"""The outbox relay: publish once, keep rows when the broker fails, never double-publish."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.models import OutboxMessage
from intake.models.base import utcnow
from intake.services import outbox


def _add_jobs(session, count: int) -> list[int]:
    jobs = [outbox.enqueue_job(session, "guides.deliver", n) for n in range(count)]
    session.flush()
    return [job.id for job in jobs]


def test_relay_publishes_each_pending_row_once_and_stamps_it(db_session):
    ids = _add_jobs(db_session, 3)
    seen: list[int] = []
    result = outbox.relay_pending(db_session, lambda row: seen.append(row.id))
    assert result == (3, False)
    assert seen == ids
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert all(row.published_at and row.status == "published" for row in rows)
    assert outbox.relay_pending(db_session, lambda row: seen.append(row.id)) == (0, False)
    assert seen == ids


def test_relay_only_takes_the_ids_asked_for(db_session):
    ids = _add_jobs(db_session, 3)
    seen: list[int] = []
    outbox.relay_pending(db_session, lambda row: seen.append(row.id), ids=[ids[1]])
    assert seen == [ids[1]]


def test_a_broker_failure_keeps_rows_pending_and_records_the_error(db_session):
    ids = _add_jobs(db_session, 2)
    db_session.commit()

    def broken(row):
        raise ConnectionRefusedError("broker down")

    result = outbox.relay_pending(db_session, broken)
    assert result == (0, True)
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [row.id for row in rows] == ids
    assert all(row.published_at is None for row in rows)
    assert rows[0].last_error == "ConnectionRefusedError: broker down"
    assert rows[0].publish_attempts == 0, "a broker outage never counts against a job"
    # once the broker is back, the same rows go out
    assert outbox.relay_pending(db_session, lambda row: None) == (2, False)


def test_mark_processed_is_idempotent(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    outbox.mark_processed(db_session, job_id)
    first = db_session.get(OutboxMessage, job_id)
    db_session.refresh(first)
    stamp = first.processed_at
    outbox.mark_processed(db_session, job_id)
    db_session.refresh(first)
    assert first.processed_at == stamp and first.status == "processed"


@pytest.mark.committed
def test_two_concurrent_relays_publish_every_row_exactly_once(app, committed_db):
    """FOR UPDATE SKIP LOCKED: two relays running at once split the rows, never share one."""
    from intake.extensions import db

    engine = db.engine
    total = 120
    ids = _add_jobs(committed_db, total)
    committed_db.commit()
    published: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def relay(name: str) -> None:
        try:
            with Session(engine) as session:
                barrier.wait()

                def slow_publish(row: OutboxMessage) -> None:
                    time.sleep(0.002)  # hold the row locks long enough for the relays to overlap
                    published[name].append(row.id)

                while outbox.relay_pending(session, slow_publish, limit=10).published:
                    pass
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=relay, args=(name,)) for name in published]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    a, b = published["a"], published["b"]
    assert a and b, "both relays should have taken part"
    assert not set(a) & set(b)
    assert len(a) + len(b) == total
    assert sorted(a + b) == ids
    pending = committed_db.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))
    )
    assert pending == 0


# --- re-publishing what did not finish (a broker that lost the message, a killed worker) ---

POLICY = outbox.RepublishPolicy(after=60, cap=600, max_runs=3, max_publishes=5)


def _make_due(session, job_id: int) -> None:
    """Move a row's due time into the past, as if its re-publish time had passed."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == job_id)
        .values(due_at=utcnow() - timedelta(seconds=1))
    )


def _row(session, job_id: int) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, job_id)


def test_a_published_row_is_due_again_after_the_republish_time(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    before = utcnow()
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (1, False)
    row = _row(db_session, job_id)
    assert row.status == "published" and row.publish_attempts == 1
    assert before + timedelta(seconds=59) < row.due_at <= utcnow() + timedelta(seconds=60)
    # not due yet: the relay leaves it alone; once due, the same row goes out again
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (0, False)
    _make_due(db_session, job_id)
    seen: list[int] = []
    assert outbox.relay_pending(db_session, lambda row: seen.append(row.id), policy=POLICY) == (
        1,
        False,
    )
    assert seen == [job_id] and _row(db_session, job_id).publish_attempts == 2


def test_a_processed_row_is_never_published_again(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    outbox.relay_pending(db_session, lambda row: None, policy=POLICY)
    outbox.mark_processed(db_session, job_id)
    _make_due(db_session, job_id)
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (0, False)


def test_the_republish_delay_doubles_with_each_failed_run_up_to_the_cap():
    assert [POLICY.delay(failures).total_seconds() for failures in range(6)] == [
        60,
        120,
        240,
        480,
        600,
        600,
    ]


def test_a_failed_job_backs_off_and_a_lost_message_or_a_killed_worker_does_not(db_session):
    lost, killed, failed = _add_jobs(db_session, 3)
    outbox.relay_pending(db_session, lambda row: None, policy=POLICY)
    assert outbox.begin_run(db_session, killed, POLICY)  # a worker took it, then died
    assert outbox.begin_run(db_session, failed, POLICY)  # a worker took it, and it raised
    outbox.record_failure(db_session, failed, "RuntimeError at x.py:1 in f", POLICY)
    assert _row(db_session, failed).due_at - utcnow() > timedelta(seconds=119)
    for job_id in (lost, killed, failed):
        _make_due(db_session, job_id)
    now = utcnow()
    outbox.relay_pending(db_session, lambda row: None, policy=POLICY)
    assert _row(db_session, lost).due_at - now < timedelta(seconds=61)
    assert _row(db_session, killed).due_at - now < timedelta(seconds=61)
    assert _row(db_session, failed).due_at - now > timedelta(seconds=119)


def test_a_job_started_too_often_waits_for_a_person_and_can_be_retried(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    assert all(outbox.begin_run(db_session, job_id, POLICY) for _ in range(POLICY.max_runs))
    assert not outbox.begin_run(db_session, job_id, POLICY)
    row = _row(db_session, job_id)
    assert row.status == "gave_up" and "started 3 times" in row.last_error
    assert [r.id for r in outbox.waiting_for_person(db_session)] == [job_id]
    _make_due(db_session, job_id)
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (0, False)
    assert outbox.health(db_session, POLICY).gave_up == 1
    assert outbox.retry(db_session, job_id) and not outbox.retry(db_session, job_id)
    row = _row(db_session, job_id)
    assert row.status == "pending" and row.runs == 0
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (1, False)


def test_a_job_no_worker_ever_starts_gives_up_after_its_publishes(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    for _ in range(POLICY.max_publishes):
        _make_due(db_session, job_id)
        assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY).published == 1
    _make_due(db_session, job_id)
    assert outbox.relay_pending(db_session, lambda row: None, policy=POLICY) == (0, False)
    assert _row(db_session, job_id).status == "gave_up"


def test_begin_run_refuses_a_finished_job(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    outbox.mark_processed(db_session, job_id)
    assert not outbox.begin_run(db_session, job_id, POLICY)
    assert _row(db_session, job_id).runs == 0


def test_reschedule_sets_the_due_time_and_forgives_the_run(db_session):
    (job_id,) = _add_jobs(db_session, 1)
    outbox.begin_run(db_session, job_id, POLICY)
    later = utcnow() + timedelta(minutes=5)
    outbox.reschedule(db_session, job_id, later)
    row = _row(db_session, job_id)
    assert row.runs == 0 and row.failures == 0
    assert abs((row.due_at - later).total_seconds()) < 0.01


def test_health_counts_open_late_and_given_up_jobs(db_session):
    fresh, late, done, stuck = _add_jobs(db_session, 4)
    db_session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([late, stuck]))
        .values(created_at=utcnow() - timedelta(minutes=5))
    )
    outbox.mark_processed(db_session, done)
    outbox.give_up(db_session, stuck, "RuntimeError at x.py:1 in f")
    health = outbox.health(db_session, POLICY)
    assert (health.open, health.unpublished, health.overdue, health.gave_up) == (2, 2, 1, 1)
    assert 299 < health.oldest_open_seconds < 400


@pytest.mark.committed
def test_the_relay_skips_a_job_a_worker_is_running(app, committed_db):
    """A slow job holds its row lock: it is not handed out a second time while it works."""
    from intake.extensions import db

    (job_id,) = _add_jobs(committed_db, 1)
    committed_db.commit()
    outbox.relay_pending(committed_db, lambda row: None, policy=POLICY)
    _make_due(committed_db, job_id)
    committed_db.commit()
    with Session(db.engine) as worker:
        assert outbox.lock_for_run(worker, job_id)
        seen: list[int] = []
        assert (
            outbox.relay_pending(committed_db, lambda row: seen.append(row.id), policy=POLICY)[0]
            == 0
        )
        worker.rollback()
    assert (
        outbox.relay_pending(committed_db, lambda row: seen.append(row.id), policy=POLICY)[0] == 1
    )
