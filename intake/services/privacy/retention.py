"""The retention period: people we finished helping long ago are erased like a deletion request.

A contact is due when nothing of theirs is open (no callback waiting or in
the queue, no guide or printed copy still owed, no email still to go) and
nothing of theirs has changed for ``RETENTION_DAYS``: their calls are
completed, exhausted or cancelled and their guide was sent.  Each is erased
by ``erasure.erase_contact``, so a case shared with someone still being
helped keeps its facts until that person is due too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.callback import OPEN_STATUSES as CALLBACK_OPEN
from intake.models.callback import CallbackRequest
from intake.models.contact import Contact
from intake.models.email import OPEN_STATUSES as EMAIL_OPEN
from intake.models.email import EmailDelivery
from intake.models.fulfilment import QUEUED as PRINT_QUEUED
from intake.models.fulfilment import FulfilmentItem
from intake.models.privacy import EMAILED, EXPIRED, DeletionRequest
from intake.models.queue import OPEN as QUEUE_OPEN
from intake.models.queue import QueueItem
from intake.models.request import GuideRequest
from intake.services.privacy import erasure

ACTOR = "retention"


@dataclass
class Purge:
    """What one run erased (or, in a dry run, would erase): counts only."""

    contacts: int = 0
    totals: Counter[str] = field(default_factory=Counter)
    links_expired: int = 0

    def lines(self) -> list[str]:
        """For the command line and the task's log."""
        return [f"contacts: {self.contacts}",
                *(f"{name.replace('_', ' ')}: {n}" for name, n in sorted(self.totals.items())),
                f"deletion links expired: {self.links_expired}"]  # fmt: skip


def _quiet_since(cutoff: datetime) -> list[ColumnElement[bool]]:
    """Nothing of the contact is open, and nothing changed after ``cutoff``."""
    mine_cb = CallbackRequest.contact_id == Contact.id
    mine_q = QueueItem.contact_id == Contact.id
    mine_g = GuideRequest.contact_id == Contact.id
    mine_e = EmailDelivery.contact_id == Contact.id
    printing = exists().where(
        FulfilmentItem.guide_request_id == GuideRequest.id, FulfilmentItem.status == PRINT_QUEUED
    )
    return [
        Contact.erased_at.is_(None),
        Contact.updated_at < cutoff,
        ~exists().where(mine_cb, or_(CallbackRequest.status.in_(CALLBACK_OPEN),
                                     CallbackRequest.updated_at >= cutoff)),
        ~exists().where(mine_q, or_(QueueItem.status.in_(QUEUE_OPEN),
                                    QueueItem.updated_at >= cutoff)),
        ~exists().where(mine_g, or_(GuideRequest.status == "received",
                                    GuideRequest.updated_at >= cutoff, printing)),
        ~exists().where(mine_e, or_(EmailDelivery.status.in_(EMAIL_OPEN),
                                    EmailDelivery.updated_at >= cutoff)),
    ]  # fmt: skip


def due_contacts(session: Session, older_than: timedelta, now: datetime, limit: int) -> list[int]:
    """Ids of contacts past the retention period, oldest first."""
    query = (
        select(Contact.id)
        .where(and_(*_quiet_since(now - older_than)))
        .order_by(Contact.updated_at, Contact.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def purge(
    session: Session,
    older_than: timedelta,
    dry_run: bool = False,
    now: datetime | None = None,
    limit: int = 500,
) -> Purge:
    """Erase up to ``limit`` due contacts; a dry run does it in a savepoint it rolls back.

    The dry run goes through the very same code, so its counts are exact.
    The caller commits (or not).
    """
    now = now or utcnow()
    result = Purge()
    savepoint = session.begin_nested() if dry_run else None
    for contact_id in due_contacts(session, older_than, now, limit):
        erased = erasure.erase_contact(session, contact_id, "retention", ACTOR, now)
        if erased is not None:
            result.contacts += 1
            result.totals.update(erasure.counts(erased))
    result.links_expired = expire_links(session, now)
    if savepoint is not None:
        savepoint.rollback()
    return result


def expire_links(session: Session, now: datetime) -> int:
    """Confirmation links past their time: the request is closed as expired."""
    expired = session.execute(
        update(DeletionRequest)
        .where(DeletionRequest.status == EMAILED, DeletionRequest.expires_at < now)
        .values(status=EXPIRED)
    )
    return int(expired.rowcount)  # type: ignore[attr-defined]
