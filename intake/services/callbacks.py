"""Callback requests entering the advocates' queue."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.callback import CallbackRequest

log = logging.getLogger(__name__)


def queue_callback(session: Session, callback_request_id: int) -> bool:
    """Move a received request into the queue once; False if already queued or gone."""
    request = session.scalars(
        select(CallbackRequest).where(CallbackRequest.id == callback_request_id).with_for_update()
    ).first()
    if request is None:
        log.warning("callback request %s not found; nothing to queue", callback_request_id)
        return False
    if request.status != "received":
        log.info("callback request %s already %s; skipping", request.id, request.status)
        return False
    request.status = "queued"
    request.queued_at = utcnow()
    log.info("callback request %s queued (language=%s)", request.id, request.language)
    return True
