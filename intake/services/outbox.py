"""Write follow-up jobs into the outbox, and relay them to the broker.

Rows are written in the caller's transaction, so a job exists exactly when
its request does.  The relay claims unpublished rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so two relays never take the same row), hands each
to ``publish`` and stamps it.  If the broker is down the stamps roll back
with the failed batch and a later relay tries again; tasks are idempotent,
so a row published twice after a crash still has its effect once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sqlalchemy import Table, select, text, update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.outbox import OutboxMessage

log = logging.getLogger(__name__)

Publisher = Callable[[OutboxMessage], None]


class RelayResult(NamedTuple):
    """How many rows went out, and whether the broker refused one."""

    published: int
    broker_failed: bool


_SYNC_COMMIT_OFF = text("SET LOCAL synchronous_commit = off")


def enqueue_job(session: Session, task_name: str, *args: Any) -> OutboxMessage:
    """Record a task to run once this transaction commits (args must be ids)."""
    message = OutboxMessage(task_name=task_name, args=list(args))
    session.add(message)
    return message


def relay_pending(
    session: Session, publish: Publisher, ids: Iterable[int] | None = None, limit: int = 200
) -> RelayResult:
    """Publish up to ``limit`` unpublished rows (only ``ids`` if given).

    One statement claims and stamps the batch (``UPDATE ... WHERE id IN
    (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``); the stamps commit only
    after every publish succeeded, which also releases the row locks.  On a
    publish error the batch rolls back and the error is kept on the row that
    failed, for admins to see.
    """
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]
    claim = select(table.c.id).where(table.c.published_at.is_(None))
    if ids is not None:
        claim = claim.where(table.c.id.in_(list(ids)))
    claim = claim.order_by(table.c.id).limit(limit).with_for_update(skip_locked=True)
    stamp = (
        update(table)
        .where(table.c.id.in_(claim.scalar_subquery()))
        .values(published_at=utcnow(), publish_attempts=table.c.publish_attempts + 1)
        .returning(table.c.id, table.c.task_name, table.c.args)
    )
    if session.get_bind().dialect.name == "postgresql":
        # losing a published_at stamp in a crash only means one more (idempotent)
        # publish, so this commit need not wait for the WAL flush
        session.execute(_SYNC_COMMIT_OFF)
    rows = sorted(session.execute(stamp).all(), key=lambda row: row.id)
    for published, row in enumerate(rows):
        try:
            publish(row)  # type: ignore[arg-type]  # a row with the message's id, task and args
        except Exception as exc:  # the broker is down or refused: keep the row for later
            session.rollback()
            _note_failure(session, row.id, f"{type(exc).__name__}: {exc}"[:500])
            log.warning("outbox relay: broker unavailable, %d message(s) left pending", len(rows))
            return RelayResult(published, broker_failed=True)
    session.commit()
    if rows:
        log.info("outbox relay: published %d message(s)", len(rows))
    return RelayResult(len(rows), broker_failed=False)


def _note_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(publish_attempts=OutboxMessage.publish_attempts + 1, last_error=error)
    )
    session.commit()


def mark_processed(session: Session, message_id: int) -> None:
    """Stamp a row done; tasks call it in the same transaction as their effect."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.processed_at.is_(None))
        .values(processed_at=utcnow())
    )
