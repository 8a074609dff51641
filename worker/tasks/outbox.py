"""The periodic outbox relay (Celery beat)."""

from __future__ import annotations

from celery import shared_task

from intake import tasking
from intake.extensions import db
from worker.jobs import run_job


@shared_task(name="outbox.relay", acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    """Publish every pending outbox row; runs on a beat schedule and at worker start."""
    total = 0
    while True:
        result = tasking.relay_batch(db.session())
        total += result.published
        if result.broker_failed or result.published == 0:
            break
    if total:
        tasking.reset_breaker()
    return total


@shared_task(name="outbox.noop", ignore_result=True)
def noop(outbox_id: int | None = None) -> bool:
    """A job with no effect that takes the whole outbox path (count, lock, stamp).

    For checking a worker end to end, and the baseline ``bench/emails.py``
    compares the guide email with.
    """
    return bool(run_job(outbox_id, lambda session: True))
