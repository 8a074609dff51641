"""A request for the free guide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, EncryptedJSON, Timestamped, UTCDateTime
from intake.models.contact import Case, Contact


class GuideRequest(Timestamped, Base):
    """What someone asked for: topics and how to deliver the guide.

    ``submission_key`` comes from a hidden field rendered with the form, so a
    double-clicked or re-sent submit finds the first request instead of
    making a second one.
    """

    __tablename__ = "guide_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    deliver_email: Mapped[bool] = mapped_column(Boolean, default=True)
    deliver_mail: Mapped[bool] = mapped_column(Boolean, default=False)
    postal_address: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON("guide_requests.postal_address")
    )
    # the guide's language (en, es): the PDF and its email are written in it
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    status: Mapped[str] = mapped_column(String(20), default="received")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()
    case: Mapped[Case | None] = relationship()
