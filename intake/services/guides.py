"""Guide delivery jobs (the email and PDF themselves arrive with the email issue)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.request import GuideRequest

log = logging.getLogger(__name__)


def deliver_guide(session: Session, guide_request_id: int) -> bool:
    """Take a received guide request through delivery once; False if already done or gone."""
    request = session.scalars(
        select(GuideRequest).where(GuideRequest.id == guide_request_id).with_for_update()
    ).first()
    if request is None:
        log.warning("guide request %s not found; nothing to deliver", guide_request_id)
        return False
    if request.status != "received":
        log.info("guide request %s already %s; skipping", request.id, request.status)
        return False
    request.status = "processed"
    request.processed_at = utcnow()
    log.info(
        "guide request %s processed (email=%s, mail=%s)",
        request.id,
        request.deliver_email,
        request.deliver_mail,
    )
    return True
