"""Callback requests entering the advocates' queue."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.services.queue import queue

log = logging.getLogger(__name__)

TASK_ENQUEUE = queue.TASK_ENQUEUE  # the outbox job that runs ``queue_callback``


def queue_callback(session: Session, callback_request_id: int) -> bool:
    """Put a received request in the queue once; False if already queued or gone."""
    request = session.scalars(
        select(CallbackRequest).where(CallbackRequest.id == callback_request_id).with_for_update()
    ).first()
    if request is None:
        log.warning("callback request %s not found; nothing to queue", callback_request_id)
        return False
    if request.status != "received":
        log.info("callback request %s already %s; skipping", request.id, request.status)
        return False
    item = queue.enqueue(session, request)
    request.status = "queued"
    request.queued_at = utcnow()
    log.info("callback request %s queued as item %s", request.id, item.id)
    return True


def refresh_open_item(session: Session, request: CallbackRequest) -> None:
    """A repeat ask: the request's open queue item (if it has one yet) takes its new preferences."""
    from intake.models.queue import OPEN, QueueItem

    item = session.scalars(
        select(QueueItem)
        .where(QueueItem.callback_request_id == request.id, QueueItem.status.in_(OPEN))
        .with_for_update()
    ).first()
    if item is not None:
        queue.refresh(session, item, request, utcnow())
