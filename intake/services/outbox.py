"""Write follow-up jobs into the outbox, relay them to the broker, and re-publish lost ones.

Rows are written in the caller's transaction, so a job exists exactly when
its request does.  The relay claims due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two relays never take the same row), hands each to
``publish`` and stamps it.  If the broker is down the stamps roll back with
the failed batch and a later relay tries again.

Why a published row is due again: Celery on Redis keeps a message only
while Redis keeps its data, and a message taken by a worker that was killed
waits for Redis's visibility timeout (and dies with Redis if it restarts).
So publishing moves ``due_at`` on by the re-publish delay, and the relay
hands out any row still unprocessed when that time comes.  The delay
doubles with each failed run (a job that raises backs off); a message the
broker lost, or a worker killed under a job, is retried at the base delay,
since neither is the job's fault, and a job that keeps killing its worker
is stopped by its count of ``runs``.  A job that was in fact only slow is
safe: it holds its row lock while it works (the relay skips locked rows),
and every task is idempotent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Table, case, func, insert, select, text, update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.outbox import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Batch:
    """Several due rows of one task handed to the broker as a single message.

    ``jobs`` holds ``[row id, *args]`` for each row.  Every row keeps its
    own stamps, counts and re-publish time: a batch is only how they travel,
    so a lost batch message is simply its rows coming due again.
    """

    task_name: str
    jobs: list[list[Any]]

    @property
    def ids(self) -> list[int]:
        """The outbox rows it carries."""
        return [int(job[0]) for job in self.jobs]


Publisher = Callable[[Any], None]  # takes a claimed row (id, task_name, args) or a Batch
# a task whose due rows may travel together: its name -> (the batch task's name, most per message)
Batching = dict[str, tuple[str, int]]


@dataclass(frozen=True)
class RepublishPolicy:
    """When an unfinished job is handed out again, and when it waits for a person instead.

    ``after`` is the base delay after a publish (longer than a job normally
    takes); it doubles with each failed run up to ``cap``.  A job started
    ``max_runs`` times without finishing, or published ``max_publishes``
    times without ever being started, gives up.
    """

    after: float = 60.0
    cap: float = 3600.0
    max_runs: int = 6
    max_publishes: int = 30

    def delay(self, failures: int) -> timedelta:
        """The wait before a row whose runs failed ``failures`` times is due again."""
        return timedelta(seconds=min(self.after * 2 ** max(failures, 0), self.cap))

    @classmethod
    def from_config(cls, config: Any) -> RepublishPolicy:
        """The policy from the app's settings (``OUTBOX_REPUBLISH_*``)."""
        return cls(
            after=float(config["OUTBOX_REPUBLISH_SECONDS"]),
            cap=float(config["OUTBOX_REPUBLISH_MAX_SECONDS"]),
            max_runs=int(config["OUTBOX_MAX_RUNS"]),
            max_publishes=int(config["OUTBOX_MAX_PUBLISHES"]),
        )


DEFAULT_POLICY = RepublishPolicy()


@dataclass(frozen=True)
class Reschedule:
    """What a job returns to run again at ``at`` (e.g. an email after a transient SMTP error).

    The schedule lives in the database, not in a broker countdown that a
    broker restart or Redis's visibility timeout could lose or repeat.
    """

    at: datetime
    why: str = ""


class RelayResult(NamedTuple):
    """How many rows went out, and whether the broker refused one."""

    published: int
    broker_failed: bool


_SYNC_COMMIT_OFF = text("SET LOCAL synchronous_commit = off")


def _table() -> Table:
    return OutboxMessage.__table__  # type: ignore[return-value]


def enqueue_job(session: Session, task_name: str, *args: Any) -> OutboxMessage:
    """Record a task to run once this transaction commits (args must be ids)."""
    message = OutboxMessage(task_name=task_name, args=list(args))
    session.add(message)
    return message


def enqueue_jobs(session: Session, jobs: list[tuple[str, list[Any]]]) -> list[int]:
    """``enqueue_job`` for many (task name, args) in one INSERT; their row ids, in order."""
    if not jobs:
        return []
    table = _table()
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    rows = [{"task_name": task_name, "args": list(args)} for task_name, args in jobs]
    return list(session.scalars(statement, rows))


def _open(table: Table) -> list[ColumnElement[bool]]:
    """Rows still owed a run: not processed, not waiting for a person."""
    return [table.c.processed_at.is_(None), table.c.gave_up_at.is_(None)]


def _next_due(table: Table, now: datetime, policy: RepublishPolicy, failed: int = 0) -> Any:
    """``now + delay(failures + failed)`` as SQL, each delay bound as a timestamp (portable)."""
    steps = [(table.c.failures + failed == n, now + policy.delay(n)) for n in range(8)]
    return case(*steps, else_=now + policy.delay(8))


def relay_pending(
    session: Session,
    publish: Publisher,
    ids: Iterable[int] | None = None,
    limit: int = 200,
    policy: RepublishPolicy = DEFAULT_POLICY,
    batching: Batching | None = None,
) -> RelayResult:
    """Publish up to ``limit`` due rows (only never-published ``ids`` if given).

    Rows of a task named in ``batching`` go out as ``Batch`` messages when
    more than one is due (a backlog of emails: one message, one database
    start and one SMTP session for many); a lone row goes as itself.

    One statement claims and stamps the batch (``UPDATE ... WHERE id IN
    (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``); the stamps commit only
    after every publish succeeded, which also releases the row locks.  On a
    publish error the batch rolls back and the error is kept on the row that
    failed, for admins to see; a broker outage never counts against a job.
    """
    table, now = _table(), utcnow()
    claim = select(table.c.id).where(*_open(table), table.c.due_at <= now)
    if ids is not None:  # a worker relaying the rows it just wrote
        claim = claim.where(table.c.id.in_(list(ids)), table.c.published_at.is_(None))
    else:
        _give_up_unstarted(session, now, policy)
    claim = claim.order_by(table.c.due_at, table.c.id).limit(limit)
    stamp = (
        update(table)
        .where(table.c.id.in_(claim.with_for_update(skip_locked=True).scalar_subquery()))
        .values(
            published_at=now,
            publish_attempts=table.c.publish_attempts + 1,
            due_at=_next_due(table, now, policy),
        )
        .returning(table.c.id, table.c.task_name, table.c.args, table.c.publish_attempts)
    )
    if session.get_bind().dialect.name == "postgresql":
        # losing a published_at stamp in a crash only means one more (idempotent)
        # publish, so this commit need not wait for the WAL flush
        session.execute(_SYNC_COMMIT_OFF)
    rows = sorted(session.execute(stamp).all(), key=lambda row: row.id)
    published = 0
    for message in _messages(rows, batching or {}):
        try:
            publish(message)
        except Exception as exc:  # the broker is down or refused: keep the rows for later
            session.rollback()
            first = message.ids[0] if isinstance(message, Batch) else message.id
            _note_failure(session, first, f"{type(exc).__name__}: {exc}"[:500])
            log.warning("outbox relay: broker unavailable, %d message(s) left pending", len(rows))
            return RelayResult(published, broker_failed=True)
        published += len(message.jobs) if isinstance(message, Batch) else 1
    session.commit()
    if rows:
        again = sum(1 for row in rows if row.publish_attempts > 1)
        log.info("outbox relay: published %d message(s), %d of them again", len(rows), again)
    return RelayResult(len(rows), broker_failed=False)


def _messages(rows: list[Any], batching: Batching) -> list[Any]:
    """The claimed rows as broker messages: batchable tasks' rows in chunks, the rest alone."""
    messages: list[Any] = []
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        if row.task_name in batching:
            grouped.setdefault(row.task_name, []).append(row)
        else:
            messages.append(row)
    for task_name, group in grouped.items():
        batch_task, size = batching[task_name]
        if len(group) == 1:
            messages.extend(group)
            continue
        for start in range(0, len(group), max(size, 1)):
            chunk = group[start : start + max(size, 1)]
            messages.append(Batch(batch_task, [[row.id, *row.args] for row in chunk]))
    return messages


def _give_up_unstarted(session: Session, now: datetime, policy: RepublishPolicy) -> None:
    """Rows published ``max_publishes`` times that no worker ever started wait for a person.

    That is a job no worker consumes (a task name nobody serves, a queue
    nobody reads), not a broker blip: re-publishing it forever helps no one.
    """
    table = _table()
    hopeless = (
        select(table.c.id)
        .where(
            *_open(table), table.c.due_at <= now, table.c.publish_attempts >= policy.max_publishes
        )
        .with_for_update(skip_locked=True)
    )
    given_up = session.execute(
        update(table)
        .where(table.c.id.in_(hopeless.scalar_subquery()))
        .values(gave_up_at=now, last_error="published many times, never started by a worker")
        .returning(table.c.id, table.c.task_name)
    ).all()
    for row in given_up:
        log.error(
            "outbox row %s (%s) published %d times and never started: waits for a person "
            "(see `intake outbox list`)",
            row.id,
            row.task_name,
            policy.max_publishes,
        )


def _note_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(last_error=error)
    )
    session.commit()


def begin_run(session: Session, message_id: int, policy: RepublishPolicy = DEFAULT_POLICY) -> bool:
    """Count a worker's start of a job; False when it is done, waiting for a person, or over.

    The caller commits this before working, so a worker killed mid-job still
    leaves its count: that is the guard against a message redelivered
    forever by the broker (``task_reject_on_worker_lost``).  A job started
    ``max_runs`` times without finishing gives up here.
    """
    table = _table()
    runs = session.execute(
        update(table)
        .where(table.c.id == message_id, *_open(table))
        .values(runs=table.c.runs + 1)
        .returning(table.c.runs)
    ).scalar()
    if runs is None:
        return False
    if runs > policy.max_runs:
        give_up(session, message_id, f"started {policy.max_runs} times without finishing")
        return False
    return True


def begin_runs(
    session: Session, message_ids: list[int], policy: RepublishPolicy = DEFAULT_POLICY
) -> set[int]:
    """``begin_run`` for a batch's rows in one statement: the ids that may start.

    Like ``begin_run`` it waits for a row another transaction holds: the
    relay holds the rows it is publishing until its commit, and a batch
    handed out by that very relay can reach a worker first.  The rows are
    locked in id order, so two batches sharing rows never deadlock.
    """
    table = _table()
    if not message_ids:
        return set()
    ordered = (
        select(table.c.id)
        .where(table.c.id.in_(message_ids), *_open(table))
        .order_by(table.c.id)
        .with_for_update()
    )
    counted = session.execute(
        update(table)
        .where(table.c.id.in_(ordered.scalar_subquery()))
        .values(runs=table.c.runs + 1)
        .returning(table.c.id, table.c.runs)
    ).all()
    started = set()
    for row in counted:
        if row.runs > policy.max_runs:
            give_up(session, row.id, f"started {policy.max_runs} times without finishing")
        else:
            started.add(row.id)
    return started


def lock_for_run(session: Session, message_id: int, skip_locked: bool = False) -> bool:
    """Hold the row while the job works (the relay skips it); False if it was done meanwhile.

    With ``skip_locked``, also False when another worker holds it (a batch
    leaves such a row to the job already at work on it).
    """
    table = _table()
    claim = select(table.c.processed_at).where(table.c.id == message_id)
    row = session.execute(claim.with_for_update(skip_locked=skip_locked)).first()
    return row is not None and row.processed_at is None


def record_failure(
    session: Session, message_id: int, failure: str, policy: RepublishPolicy = DEFAULT_POLICY
) -> None:
    """Keep a failed run's cause (type and place only) and back the row off by its failures."""
    table, now = _table(), utcnow()
    session.execute(
        update(table)
        .where(table.c.id == message_id, *_open(table))
        .values(
            last_error=failure[:500],
            failures=table.c.failures + 1,
            due_at=_next_due(table, now, policy, failed=1),
        )
    )


def reschedule(session: Session, message_id: int, due_at: datetime) -> None:
    """A job that ended cleanly but asks to run again at ``due_at`` (its own retry schedule).

    Its counts start again from nothing: the job bounds its own retries,
    and a clean hand-back is neither a crash nor a failure.
    """
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message_id, *_open(table))
        .values(due_at=due_at, runs=0, failures=0)
    )


def give_up(session: Session, message_id: int, why: str) -> None:
    """Stop handing a job out: it waits for a person, logged with its cause's type only."""
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message_id, *_open(table))
        .values(gave_up_at=utcnow(), last_error=why[:500])
    )
    log.error(
        "outbox row %s gave up (%s): waits for a person (`intake outbox list`)", message_id, why
    )


def mark_processed(session: Session, message_id: int) -> None:
    """Stamp a row done; tasks call it in the same transaction as their effect."""
    table = _table()  # the table, not the entity: no ORM bookkeeping for a one-row stamp
    session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.processed_at.is_(None))
        .values(processed_at=utcnow())
    )


def mark_processed_many(session: Session, message_ids: list[int]) -> None:
    """``mark_processed`` for several rows in one statement (a batch's finished rows)."""
    if not message_ids:
        return
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id.in_(message_ids), table.c.processed_at.is_(None))
        .values(processed_at=utcnow())
    )


@dataclass(frozen=True)
class Health:
    """What an operator (and the admin dashboard) needs to know about the outbox now."""

    open: int  # jobs not processed yet and not waiting for a person
    unpublished: int  # of those, never handed to the broker yet
    overdue: int  # of those, created longer ago than the re-publish time
    gave_up: int  # waiting for a person
    oldest_open_seconds: float | None  # age of the oldest open job

    def as_dict(self) -> dict[str, Any]:
        """For JSON output and the dashboard."""
        return dataclasses.asdict(self)


def health(session: Session, policy: RepublishPolicy = DEFAULT_POLICY) -> Health:
    """Counts of unprocessed rows by state, from one query."""
    table, now = _table(), utcnow()
    still_open = table.c.gave_up_at.is_(None)
    row = session.execute(
        select(
            func.count().filter(still_open),
            func.count().filter(still_open, table.c.published_at.is_(None)),
            func.count().filter(
                still_open, table.c.created_at < now - timedelta(seconds=policy.after)
            ),
            func.count().filter(table.c.gave_up_at.is_not(None)),
            func.min(case((still_open, table.c.created_at))),
        ).where(table.c.processed_at.is_(None))
    ).one()
    oldest: datetime | None = row[4]
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else None
    return Health(row[0], row[1], row[2], row[3], age)


def waiting_for_person(session: Session) -> list[OutboxMessage]:
    """Rows that gave up, oldest first: they need someone to fix the cause and retry."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.processed_at.is_(None), OutboxMessage.gave_up_at.is_not(None))
            .order_by(OutboxMessage.id)
        )
    )


def retry(session: Session, message_id: int) -> bool:
    """Give a row that gave up a fresh start, due now; False if it was not waiting."""
    table = _table()
    result = session.execute(
        update(table)
        .where(
            table.c.id == message_id,
            table.c.processed_at.is_(None),
            table.c.gave_up_at.is_not(None),
        )
        .values(gave_up_at=None, runs=0, failures=0, publish_attempts=0, due_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
