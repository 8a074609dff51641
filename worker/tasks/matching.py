"""Specialist matching for cases."""

from __future__ import annotations

from celery import shared_task

from intake.extensions import db
from intake.services import match_query, outbox


@shared_task(name="matching.record_case_matches", acks_late=True, ignore_result=True)
def record_case_matches(case_id: int, outbox_id: int | None = None) -> int:
    """Compute and store a case's top matches; running twice leaves the same rows."""
    count = match_query.record_case_matches(db.session(), case_id)
    if outbox_id is not None:
        outbox.mark_processed(db.session(), outbox_id)
    db.session.commit()
    return count
