"""Printed guides to post: the work list of staff who mail them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Timestamped, UTCDateTime
from intake.models.request import GuideRequest

QUEUED, MAILED, CANCELLED = "queued", "mailed", "cancelled"


class FulfilmentItem(Timestamped, Base):
    """One printed copy of the guide to mail; the address is sealed on the guide request."""

    __tablename__ = "fulfilment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_request_id: Mapped[int] = mapped_column(
        ForeignKey("guide_requests.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    guide_request: Mapped[GuideRequest] = relationship()
