"""Guide delivery tasks."""

from __future__ import annotations

from celery import shared_task

from intake.services.email import guides
from worker.jobs import run_job


@shared_task(name="guides.deliver", ignore_result=True)
def deliver_guide(guide_request_id: int, outbox_id: int | None = None) -> bool:
    """Deliver one guide request; safe to run twice (the service checks its status)."""
    done = run_job(outbox_id, lambda session: guides.deliver_guide(session, guide_request_id))
    return bool(done)
