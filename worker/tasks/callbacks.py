"""Callback queue tasks."""

from __future__ import annotations

from celery import shared_task

from intake.services.inbox import callbacks
from worker.jobs import run_job


@shared_task(name="callbacks.enqueue", ignore_result=True)
def enqueue_callback(callback_request_id: int, outbox_id: int | None = None) -> bool:
    """Put one callback request in the advocates' queue; safe to run twice."""
    done = run_job(
        outbox_id, lambda session: callbacks.queue_callback(session, callback_request_id)
    )
    return bool(done)
