"""The transactional outbox: follow-up jobs committed with the request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """A Celery task to run, written in the same transaction as its cause.

    The relay publishes every row that is due (``due_at``) and not yet
    processed, stamps ``published_at`` and moves ``due_at`` on by the
    re-publish delay: a row whose message the broker lost, or whose worker
    died, is simply due again later (later still after each failed run).
    The task counts each start in ``runs`` (committed before it works, so a
    crash still counts) and stamps ``processed_at`` with its effect.  A row
    that keeps failing stops at ``gave_up_at`` and waits for a person
    (``intake outbox list``).  ``args`` holds ids only.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "ix_outbox_messages_due",
            "due_at",
            postgresql_where=text("processed_at IS NULL AND gave_up_at IS NULL"),
            sqlite_where=text("processed_at IS NULL AND gave_up_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # when the relay should hand it to the broker (again); fresh rows are due at once
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # starts by a worker that have not ended in success (reset when a job reschedules itself)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # runs that ended in an error: the re-publish delay doubles with each
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self) -> str:
        """pending, published, processed or waiting for a person: what an admin needs to see."""
        if self.processed_at:
            return "processed"
        if self.gave_up_at:
            return "gave_up"
        return "published" if self.published_at else "pending"
