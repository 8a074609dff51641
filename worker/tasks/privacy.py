"""Deletion requests and the retention period (thin: the work is in the services)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from intake import tasking
from intake.extensions import db
from intake.services.privacy import deletion, retention
from worker.jobs import run_job

log = logging.getLogger(__name__)


@shared_task(name="privacy.process_deletion_request", ignore_result=True)
def process_deletion_request(request_id: int, outbox_id: int | None = None) -> int:
    """Look up one deletion request's address and owe its confirmation email; safe twice."""
    jobs = run_job(outbox_id, lambda session: deletion.process(session, request_id))
    tasking.relay_quietly(jobs or [])
    return len(jobs or [])


@shared_task(name="privacy.retention", ignore_result=True)
def purge_past_retention() -> int:
    """Erase people whose requests closed more than ``RETENTION_DAYS`` ago (beat, hourly)."""
    days = float(current_app.config["RETENTION_DAYS"])
    result = retention.purge(db.session(), timedelta(days=days))
    db.session.commit()
    if result.contacts or result.links_expired:
        log.info("retention: %s", "; ".join(result.lines()))
    return result.contacts
