"""Deletion requests from the public page: a count and a state, never the address itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, utcnow

RECEIVED, EMAILED, NO_MATCH, THROTTLED, ERASED, EXPIRED = (
    "received",
    "emailed",
    "no_match",
    "throttled",
    "erased",
    "expired",
)


class DeletionRequest(Base):
    """One "delete my information" form: received -> emailed -> erased (or expired).

    The web request stores only the keyed hash of the address typed, so the
    page does the same work whether or not we know the address; the worker
    looks it up, owes the confirmation email (``no_match`` when nobody has
    that address) and clears the hash.  What stays is a dated row with a
    status and, once confirmed, the contact id it erased: the record that a
    deletion happened, with no personal data in it.
    """

    __tablename__ = "deletion_requests"
    __table_args__ = (Index("ix_deletion_requests_contact", "contact_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # keyed hash of the address typed (``contacts.email_hash``'s kind); cleared once processed
    address_hash: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=RECEIVED)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the confirmation link stops working then (``DELETION_LINK_DAYS``)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the language of the page the form was sent from (en, es): the email and the page its
    # link opens speak it; rows from before it was kept have none (their latest request's)
    language: Mapped[str | None] = mapped_column(String(5))
