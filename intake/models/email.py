"""Emails we send, one row per (contact, purpose, request), and addresses we must not mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Timestamped, UTCDateTime
from intake.models.contact import Contact

PENDING, SENDING, SENT, FAILED, SUPPRESSED, UNKNOWN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "suppressed",
    "unknown",
)
OPEN_STATUSES = (PENDING, SENDING)
PURPOSE_GUIDE = "guide"
PURPOSE_UNREACHABLE = "callback_unreachable"
# the "confirm you want your information deleted" link: asked for, so it needs no consent
PURPOSE_DELETION = "deletion_confirm"


class EmailDelivery(Timestamped, Base):
    """One email owed to one person for one purpose: sent at most once.

    The unique key (contact, purpose, request) is what makes a second run of
    the task, a re-published job or a double-submitted form send nothing
    more.  The states are pending -> sending -> sent, with failed (a
    permanent refusal, or too many transient ones), suppressed (no consent,
    unsubscribed or a bounced address: never attempted) and unknown (the
    connection or the worker died after the message was handed over, so it
    may have arrived: never retried on its own, see ``services/email/emails.py``).
    SMTP replies are kept as codes only: their text may quote the address.
    """

    __tablename__ = "email_deliveries"
    __table_args__ = (
        UniqueConstraint("contact_id", "purpose", "request_id"),
        Index(
            "ix_email_deliveries_open",
            "to_hash",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[int] = mapped_column(Integer)
    # keyed hash of the address it goes to, to cancel it on unsubscribe without decrypting
    to_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    smtp_status: Mapped[str | None] = mapped_column(String(12))  # enhanced code, e.g. 5.1.1
    reason: Mapped[str | None] = mapped_column(String(200))  # our own words, never the reply

    contact: Mapped[Contact] = relationship()


class EmailSuppression(Timestamped, Base):
    """An address that must not be mailed again: it bounced as unknown (5.1.x)."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_deliveries.id", ondelete="SET NULL")
    )
