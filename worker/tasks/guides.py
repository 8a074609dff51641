"""Guide delivery tasks."""

from __future__ import annotations

from celery import shared_task

from intake.extensions import db
from intake.services import guides, outbox


@shared_task(name="guides.deliver", acks_late=True, ignore_result=True)
def deliver_guide(guide_request_id: int, outbox_id: int | None = None) -> bool:
    """Deliver one guide request; safe to run twice (the service checks its status)."""
    done = guides.deliver_guide(db.session(), guide_request_id)
    if outbox_id is not None:
        outbox.mark_processed(db.session(), outbox_id)
    db.session.commit()
    return done
