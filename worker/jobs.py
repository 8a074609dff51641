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
