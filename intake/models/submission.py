"""A public form as it was received: one sealed row, written before the confirmation page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, EncryptedJSON, UTCDateTime, utcnow


class Submission(Base):
    """The inbox row: what the person sent, sealed, committed in the request's one INSERT.

    The web request stores only this row (so a confirmation page costs one
    insert); the worker turns it into the contact, case, consent records,
    request and follow-up jobs in one transaction and stamps
    ``processed_at``.  An unprocessed row is its own pending job: the
    periodic sweep hands it to the worker again, so a submission made while
    Redis or the worker was down is processed once they are back.

    ``payload`` holds the validated form, the consent wording versions shown
    and the sender's IP, sealed with AES-GCM; it is kept for a while after
    processing so a failed or disputed processing can be replayed, then
    cleared (``SUBMISSION_PAYLOAD_DAYS``).
    """

    __tablename__ = "submissions"
    __table_args__ = (
        # from a hidden field rendered with the form: a double-clicked submit is one row
        UniqueConstraint("form", "submission_key"),
        Index(
            "ix_submissions_unprocessed",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(20))
    submission_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("submissions.payload"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # the guide or callback request it became (a repeat callback ask may update an open one)
    request_id: Mapped[int | None] = mapped_column(Integer)
    # sent by a partner site through the API: who, and the lead's public id (shared by the
    # guide and callback halves of one API lead); both empty for our own forms
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    lead_id: Mapped[str | None] = mapped_column(String(36), index=True)

    @property
    def status(self) -> str:
        """received, failing or processed: what an admin needs to see."""
        if self.processed_at:
            return "processed"
        return "failing" if self.last_error else "received"
