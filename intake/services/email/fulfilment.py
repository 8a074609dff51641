"""Printed guides to post: queued by a request, marked mailed by staff, exported as CSV.

Copies put in a print batch (``print_batches.py``) leave the list of those
waiting: the batch's own page lists them, in the order they were printed.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.csv_cells import write_rows
from intake.models.base import utcnow
from intake.models.fulfilment import MAILED, QUEUED, FulfilmentItem
from intake.models.request import GuideRequest
from intake.models.user import User
from intake.services.people.inserts import insert_if_absent

MAILING_COLUMNS = ("item", "name", "address_line1", "address_line2", "city", "state", "zip",
                   "language", "requested_on")  # fmt: skip


def queue_print(session: Session, request: GuideRequest) -> FulfilmentItem | None:
    """One printed copy owed to a request (once: a repeat run finds it)."""
    return insert_if_absent(
        session, FulfilmentItem, {"guide_request_id": request.id, "status": QUEUED}
    )


def waiting(session: Session) -> list[FulfilmentItem]:
    """Copies not yet mailed nor in a batch, oldest first: the day's work list."""
    return list(
        session.scalars(
            select(FulfilmentItem)
            .where(FulfilmentItem.status == QUEUED, FulfilmentItem.batch_id.is_(None))
            .order_by(FulfilmentItem.created_at, FulfilmentItem.id)
        )
    )


def recently_mailed(session: Session, limit: int = 50) -> list[FulfilmentItem]:
    """The last copies marked mailed, newest first."""
    return list(
        session.scalars(
            select(FulfilmentItem)
            .where(FulfilmentItem.status == MAILED)
            .order_by(FulfilmentItem.mailed_at.desc())
            .limit(limit)
        )
    )


def mark_mailed(session: Session, item_ids: list[int], by: User) -> int:
    """Record that these copies went in the post; how many changed (already-mailed ones stay)."""
    result = session.execute(
        update(FulfilmentItem)
        .where(FulfilmentItem.id.in_(item_ids), FulfilmentItem.status == QUEUED)
        .values(status=MAILED, mailed_at=utcnow(), mailed_by_id=by.id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mailing_list(items: list[FulfilmentItem], positions: bool = False) -> str:
    """These copies as a CSV mailing list in their order, every cell safe for a spreadsheet.

    With ``positions``, a first column numbers them as the batch's PDF does.
    """
    rows: list[tuple[object, ...]] = []
    for position, item in enumerate(items, start=1):
        request = item.guide_request
        address = request.postal_address or {}
        contact = request.contact
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        rows.append(
            (
                *((position,) if positions else ()),
                item.id,
                name,
                address.get("line1", ""),
                address.get("line2", ""),
                address.get("city", ""),
                address.get("state", ""),
                address.get("zip", ""),
                request.language,
                f"{request.created_at:%Y-%m-%d}",
            )
        )
    columns = ("position", *MAILING_COLUMNS) if positions else MAILING_COLUMNS
    return write_rows(columns, rows)
