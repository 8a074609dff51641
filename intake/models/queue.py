"""The advocates' callback queue: one item per callback request, and every call attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Encrypted, Timestamped, UTCDateTime, utcnow
from intake.models.callback import CallbackRequest
from intake.models.contact import Contact
from intake.models.user import User

QUEUED, CLAIMED, RETRY, COMPLETED, EXHAUSTED, CANCELLED = (
    "queued",
    "claimed",
    "retry_scheduled",
    "completed",
    "exhausted",
    "cancelled",
)
WAITING = (QUEUED, RETRY)  # may be claimed once callable
OPEN = (QUEUED, CLAIMED, RETRY)
CLOSED = (COMPLETED, EXHAUSTED, CANCELLED)
_OPEN_SQL = "status IN ('queued', 'claimed', 'retry_scheduled')"


def _callable_from(context: Any) -> datetime:
    """An item given no clock counts from when it is callable (nothing else was promised)."""
    return context.get_current_parameters().get("callable_from") or utcnow()


class QueueItem(Timestamped, Base):
    """A callback owed: queued -> claimed -> completed, or retry_scheduled, exhausted, cancelled.

    ``callable_from`` is the first minute the patient's rules allow (calling
    hours in their zone, their state's law, the window they chose, a time
    they asked for); staffing never moves it.  ``clock_from`` is where the
    speed-to-lead clock starts: the later of that and the time the person
    was promised ("after 9:00 AM"), so the console's late marker, the
    admins' alert, the dashboard and the claim order all count from what we
    said (``intake.queueing.promise``).  ``rank_key`` orders items of
    the same class by urgency and wait (see ``intake.queueing.priority``);
    ``requested_at`` is the original request's time, kept through retries so
    a retried call never loses its place.  One open item per phone number:
    never dial the same person twice at once.
    """

    __tablename__ = "queue_items"
    __table_args__ = (
        Index(
            "ix_queue_items_one_open_per_phone",
            "phone_hash",
            unique=True,
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
        ),
        Index(
            "ix_queue_items_waiting",
            "callable_from",
            postgresql_where=text("status IN ('queued', 'retry_scheduled')"),
            sqlite_where=text("status IN ('queued', 'retry_scheduled')"),
        ),
        # the claim order within a class, whole: claim-next reads rows in this order and stops
        # at the first unlocked one that fits, with no sort (rank_key alone left ties to sort)
        Index(
            "ix_queue_items_claim_order",
            column("rank_key").desc(),
            "requested_at",
            "id",
            postgresql_where=text("status IN ('queued', 'retry_scheduled')"),
            sqlite_where=text("status IN ('queued', 'retry_scheduled')"),
        ),
        # an advocate's own call backs, found without reading the rest of the queue
        Index(
            "ix_queue_items_preferred",
            "preferred_advocate_id",
            postgresql_where=text(
                "preferred_advocate_id IS NOT NULL AND status IN ('queued', 'retry_scheduled')"
            ),
            sqlite_where=text(
                "preferred_advocate_id IS NOT NULL AND status IN ('queued', 'retry_scheduled')"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_request_id: Mapped[int] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), unique=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    phone_hash: Mapped[str] = mapped_column(String(64))
    # the consent ledger's keyed hash of the number, so claim time checks consent in SQL
    consent_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    callable_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clock_from: Mapped[datetime] = mapped_column(UTCDateTime, default=_callable_from)
    rank_key: Mapped[float] = mapped_column(Float, default=0.0)
    urgency: Mapped[int] = mapped_column(Integer, default=0)  # minutes of wait it counts as
    best_time: Mapped[str] = mapped_column(String(20), default="asap")
    language: Mapped[str] = mapped_column(String(5), default="en")
    needs_va: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # who should make a scheduled call back (the advocate who arranged it), preferred not owed
    preferred_advocate_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(40))

    callback_request: Mapped[CallbackRequest] = relationship()
    contact: Mapped[Contact] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    attempts_made: Mapped[list[CallAttempt]] = relationship(
        back_populates="item", order_by="CallAttempt.started_at"
    )


class CallAttempt(Base):
    """One call an advocate made, and how it went; the note is sealed like other personal data."""

    __tablename__ = "call_attempts"
    __table_args__ = (Index("ix_call_attempts_phone", "phone_hash", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_item_id: Mapped[int] = mapped_column(
        ForeignKey("queue_items.id", ondelete="CASCADE"), index=True
    )
    advocate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # every attempt to a number counts against its state's cap, whoever made it
    phone_hash: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(30))
    next_step: Mapped[str | None] = mapped_column(String(30))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Encrypted("call_attempts.note"))

    item: Mapped[QueueItem] = relationship(back_populates="attempts_made")
    advocate: Mapped[User | None] = relationship()


class StaffAlert(Base):
    """A message to the admins on duty (SLA breaches), sent once by its outbox job."""

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    count: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
