"""A request to be called back by a patient advocate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Timestamped, UTCDateTime
from intake.models.contact import Case, Contact

OPEN_STATUSES = ("received", "queued")


class CallbackRequest(Timestamped, Base):
    """One ask for a call; a person asking again while it is open updates it.

    Status moves received -> queued (by the worker, from the outbox) and on
    to the outcomes the advocate queue records.
    """

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    best_time: Mapped[str] = mapped_column(String(20), default="asap")
    language: Mapped[str] = mapped_column(String(5), default="en")
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    times_requested: Mapped[int] = mapped_column(Integer, default=1)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # another contact's open call to the same number answers this request too: the number is
    # never dialled twice at once, and this request closes with that call
    # (a plain id: queue_items already points here, and a key each way would make a cycle)
    joined_item_id: Mapped[int | None] = mapped_column(Integer, index=True)

    contact: Mapped[Contact] = relationship()
    case: Mapped[Case | None] = relationship()
