"""Callback queue tasks."""

from __future__ import annotations

from celery import shared_task

from intake.extensions import db
from intake.services import callbacks, outbox


@shared_task(name="callbacks.enqueue", acks_late=True, ignore_result=True)
def enqueue_callback(callback_request_id: int, outbox_id: int | None = None) -> bool:
    """Put one callback request in the advocates' queue; safe to run twice."""
    done = callbacks.queue_callback(db.session(), callback_request_id)
    if outbox_id is not None:
        outbox.mark_processed(db.session(), outbox_id)
    db.session.commit()
    return done
