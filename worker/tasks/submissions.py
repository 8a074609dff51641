"""Turn received forms into leads (thin: the work is in ``intake.services.inbox.submissions``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from intake import tasking
from intake.extensions import db
from intake.services.inbox import partner_leads, submissions

log = logging.getLogger(__name__)


@shared_task(name="submissions.process", acks_late=True, ignore_result=True)
def process_submissions(ids: list[int]) -> list[int]:
    """Process each received submission once; the ids that failed (the sweep retries them)."""
    return submissions.process_many(db.session(), ids, relay=tasking.relay_quietly)


@shared_task(name="submissions.sweep", acks_late=True, ignore_result=True)
def sweep_submissions() -> int:
    """Hand out again every submission still unprocessed after the grace period.

    Catches announcements lost to a broker outage or a web process that died
    between its commit and its announcement.  Runs on a beat schedule.
    """
    session = db.session()
    ids = submissions.due(session, current_app.config["SUBMISSION_SWEEP_GRACE_SECONDS"])
    if ids:
        tasking.publish_submissions(ids)
    stuck = submissions.stuck(session)
    if stuck:
        log.error(
            "%d submissions failed %d times and wait for a person: ids %s "
            "(see `intake submissions list`)",
            len(stuck),
            submissions.MAX_ATTEMPTS,
            [row.id for row in stuck[:20]],
        )
    return len(ids)


@shared_task(name="submissions.purge", acks_late=True, ignore_result=True)
def purge_submission_payloads() -> int:
    """Clear raw forms kept past ``SUBMISSION_PAYLOAD_DAYS`` after processing, and the
    partner API's idempotency answers past their 24 hours."""
    days = current_app.config["SUBMISSION_PAYLOAD_DAYS"]
    cleared = submissions.purge_payloads(db.session(), timedelta(days=days))
    cleared += partner_leads.purge_idempotency_records(db.session())
    db.session.commit()
    return cleared
