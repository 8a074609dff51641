"""The outbox relay: publish once, keep rows when the broker fails, never double-publish."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import OutboxMessage
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
    assert rows[0].publish_attempts == 1
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
