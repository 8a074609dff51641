"""Run one outbox job in a worker: count the start, hold the row, do the work, stamp it.

Every outbox task goes through ``run_job``, so each one is idempotent, its
starts are counted (the guard against endless redelivery), a failure is
kept on the row as a type and a place (never a message, which may quote
personal data) and the row is handed out again later by the relay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.logsafe import describe_failure
from intake.services import outbox

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_job(outbox_id: int | None, work: Callable[[Session], T]) -> T | None:
    """Do ``work`` once for this outbox row and commit it with the row's stamp.

    None when the row was already done (a redelivery, or a re-publish of a
    job that was only slow), waits for a person, or the work failed.
    Without an ``outbox_id`` (a direct call) the work just runs and commits.
    """
    session = db.session()
    if outbox_id is None:
        result = work(session)
        session.commit()
        return result
    policy = outbox.RepublishPolicy.from_config(current_app.config)
    try:
        started = outbox.begin_run(session, outbox_id, policy)
        session.commit()  # the start counts even if this process dies in the work
    except Exception as exc:  # the database is down: the row stays due, the relay hands it out
        session.rollback()
        log.error("outbox row %s could not start: %s", outbox_id, describe_failure(exc))
        return None
    if not started:
        return None
    try:
        if not outbox.lock_for_run(session, outbox_id):
            session.rollback()
            return None
        result = work(session)
        if isinstance(result, outbox.Reschedule):
            outbox.reschedule(session, outbox_id, result.at)
        else:
            outbox.mark_processed(session, outbox_id)
        session.commit()
        return result
    except Exception as exc:
        session.rollback()
        _keep_failure(session, outbox_id, describe_failure(exc), policy)
        return None


def run_batch(jobs: list[list[int]], work: Callable[..., object]) -> int:
    """``run_job`` for a batch of rows (``[outbox row id, *args]`` each), in one transaction.

    For short idempotent jobs that a backlog brings many of (recording a
    case's matches): one start statement, one stamp statement and one commit
    for the batch instead of three commits a job.  The jobs run straight
    through; when one fails, that pass is rolled back and the batch runs
    again with each job in a savepoint, so the failure is recorded on its
    own row and the others go on (the jobs are idempotent, and savepoints
    for every job of every batch cost two round trips a job for a case that
    is rare).  A worker killed mid-batch leaves every row unfinished, to be
    done again.  How many jobs finished.
    """
    session = db.session()
    policy = outbox.RepublishPolicy.from_config(current_app.config)
    try:
        started = outbox.begin_runs(session, [int(job[0]) for job in jobs], policy)
        session.commit()  # the starts count even if this process dies in the work
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("a batch of outbox rows could not start: %s", describe_failure(exc))
        return 0
    todo = [job for job in jobs if int(job[0]) in started]
    try:
        finished = _run_straight(session, todo, work)
    except Exception:  # noqa: BLE001 (which job and why: the pass with savepoints says)
        session.rollback()
        try:
            finished = _run_isolated(session, todo, work, policy)
        except SQLAlchemyError as exc:  # the database itself: the rows are due again anyway
            session.rollback()
            log.error("a batch of outbox rows stopped: %s", describe_failure(exc))
            return 0
    try:
        outbox.mark_processed_many(session, [row for row, done in finished if done])
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("a batch of outbox rows could not commit: %s", describe_failure(exc))
        return 0
    return len(finished)


Ran = list[tuple[int, bool]]  # the rows whose jobs ran: (row id, done, not rescheduled)


def _run_straight(session: Session, jobs: list[list[int]], work: Callable[..., object]) -> Ran:
    """Every job in turn, no savepoints (any failure ends the pass)."""
    ran: Ran = []
    for outbox_id, *args in jobs:
        done = _run_one(session, outbox_id, args, work)
        if done is not None:
            ran.append((outbox_id, done))
    return ran


def _run_isolated(
    session: Session,
    jobs: list[list[int]],
    work: Callable[..., object],
    policy: outbox.RepublishPolicy,
) -> Ran:
    """Every job in its own savepoint: a failing one's work undone and kept on its row."""
    ran: Ran = []
    for outbox_id, *args in jobs:
        try:
            with session.begin_nested():
                done = _run_one(session, outbox_id, args, work)
            if done is not None:
                ran.append((outbox_id, done))
        except Exception as exc:  # this job's own failure: its row keeps it, the batch goes on
            failure = describe_failure(exc)
            log.error(
                "outbox row %s failed in a batch; handed out again later: %s", outbox_id, failure
            )
            outbox.record_failure(session, outbox_id, failure, policy)
    return ran


def _run_one(
    session: Session, outbox_id: int, args: list[int], work: Callable[..., object]
) -> bool | None:
    """One job under its row's lock: whether it is done, rescheduled or not run.

    True: done, to be stamped with the batch's others; False: it rescheduled
    itself; None: another worker holds its row.
    """
    if not outbox.lock_for_run(session, outbox_id, skip_locked=True):
        return None
    result = work(session, *args)
    if isinstance(result, outbox.Reschedule):
        outbox.reschedule(session, outbox_id, result.at)
        return False
    return True


def _keep_failure(
    session: Session, outbox_id: int, failure: str, policy: outbox.RepublishPolicy
) -> None:
    log.error("outbox row %s failed; the relay will hand it out again: %s", outbox_id, failure)
    try:
        outbox.record_failure(session, outbox_id, failure, policy)
        session.commit()
    except Exception as exc:  # the database itself is failing: the row is still due anyway
        session.rollback()
        log.error(
            "could not record the failure of outbox row %s: %s", outbox_id, describe_failure(exc)
        )
