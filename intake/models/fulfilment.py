"""Printed guides to post: the work list of staff who mail them, and the batches they print."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Timestamped, UTCDateTime
from intake.models.request import GuideRequest

QUEUED, MAILED, CANCELLED = "queued", "mailed", "cancelled"


class PrintBatch(Timestamped, Base):
    """Copies printed together: one PDF and one mailing list, in the same order, mailed at once.

    It holds no personal data: names and addresses stay sealed on the
    contact and the guide request, and the PDF is rendered when downloaded.
    """

    __tablename__ = "print_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


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
    # the batch it was printed in, and its place there (the PDF's and the CSV's order)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("print_batches.id", ondelete="SET NULL"), index=True
    )
    batch_position: Mapped[int | None] = mapped_column(Integer)

    guide_request: Mapped[GuideRequest] = relationship()
