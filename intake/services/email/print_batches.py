"""Print batches: the due printed guides joined into one PDF, with a mailing list in its order.

An admin ticks the copies to print; the batch records them in that order
(oldest request first) and nothing personal: the PDF is rendered from the
sealed request each time it is downloaded, with the same renderer and the
same personal pages as the guide email, and kept nowhere.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from intake.guide import packs
from intake.guide.render import format_date
from intake.models.base import utcnow
from intake.models.fulfilment import CANCELLED, MAILED, QUEUED, FulfilmentItem, PrintBatch
from intake.models.request import GuideRequest
from intake.models.user import User
from intake.services.email import fulfilment, guides

BATCH_LIMIT = 25  # copies a batch may hold: its PDF is laid out while the admin waits


class BatchRefused(ValueError):
    """No batch was made; the message says why, for the admin."""


def create(session: Session, item_ids: list[int], by: User) -> PrintBatch:
    """A batch of these due copies, oldest request first; ones already batched or mailed stay out.

    Each copy joins with a guarded UPDATE (still queued, in no batch), so two
    admins batching at once never put one copy in two batches.
    """
    if len(set(item_ids)) > BATCH_LIMIT:
        raise BatchRefused(f"A batch holds at most {BATCH_LIMIT} copies: tick fewer.")
    due = [item.id for item in fulfilment.waiting(session) if item.id in set(item_ids)]
    if not due:
        raise BatchRefused("None of the ticked copies is still waiting to be printed.")
    batch = PrintBatch(created_by_id=by.id)
    session.add(batch)
    session.flush()
    position = 0
    for item_id in due:
        joined = session.execute(
            update(FulfilmentItem)
            .where(FulfilmentItem.id == item_id, FulfilmentItem.status == QUEUED)
            .where(FulfilmentItem.batch_id.is_(None))
            .values(batch_id=batch.id, batch_position=position + 1)
        )
        position += int(joined.rowcount)  # type: ignore[attr-defined]
    if position == 0:
        raise BatchRefused("Those copies were just put in another batch.")
    return batch


def items(session: Session, batch: PrintBatch) -> list[FulfilmentItem]:
    """The batch's copies in print order (a copy erased since is no longer in it)."""
    return list(
        session.scalars(
            select(FulfilmentItem)
            .where(FulfilmentItem.batch_id == batch.id, FulfilmentItem.status != CANCELLED)
            .order_by(FulfilmentItem.batch_position, FulfilmentItem.id)
            .options(joinedload(FulfilmentItem.guide_request).joinedload(GuideRequest.case))
        )
    )


def open_batches(session: Session) -> list[PrintBatch]:
    """Batches not yet marked mailed, oldest first."""
    return list(
        session.scalars(
            select(PrintBatch).where(PrintBatch.mailed_at.is_(None)).order_by(PrintBatch.id)
        )
    )


def mark_mailed(session: Session, batch: PrintBatch, by: User) -> int:
    """Record that the whole batch went in the post; how many copies changed."""
    now = utcnow()
    result = session.execute(
        update(FulfilmentItem)
        .where(FulfilmentItem.batch_id == batch.id, FulfilmentItem.status == QUEUED)
        .values(status=MAILED, mailed_at=now, mailed_by_id=by.id)
    )
    if batch.mailed_at is None:
        batch.mailed_at, batch.mailed_by_id = now, by.id
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def mailing_list(session: Session, batch: PrintBatch) -> str:
    """The batch's mailing list, one row per copy in the PDF's order."""
    return fulfilment.mailing_list(items(session, batch), positions=True)


def batch_pdf(session: Session, batch: PrintBatch, listed: list[FulfilmentItem]) -> bytes:
    """The batch as one PDF to print: each reader's address sheet, then their own guide.

    ``listed`` is ``items(session, batch)``, which the caller has already read.
    """
    return _joined(session, batch.id, listed, f"Print batch {batch.id}")


def copy_pdf(session: Session, item: FulfilmentItem) -> bytes:
    """One copy's address sheet and guide, to print it on its own."""
    return _joined(session, 0, [item], f"Printed copy {item.id}")


def _joined(session: Session, batch_id: int, listed: list[FulfilmentItem], title: str) -> bytes:
    """Render each copy's guide as its email would be, with its sheet, and join them."""
    today = date.today()
    made = []
    for index, item in enumerate(listed, start=1):
        request = item.guide_request
        sheet = sheet_for(request, today, batch_id, index, len(listed), item.id)
        made.append(packs.Pack(sheet, guides.render_for_request(session, request)))
    return packs.join(guides.renderer(), made, title)


def sheet_for(
    request: GuideRequest, today: date, batch: int, position: int, count: int, item: int
) -> packs.AddressSheet:
    """What the reader's address sheet shows, from their sealed name and address."""
    contact, address = request.contact, request.postal_address or {}
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    place = f"{address.get('city', '')}, {address.get('state', '')} {address.get('zip', '')}"
    # the apartment or suite on the street's line, as the Postal Service prefers
    street = " ".join(part for part in (address.get("line1"), address.get("line2")) if part)
    lines = (name, street, place.strip(" ,"))
    language = request.language if request.language in ("en", "es") else "en"
    return packs.AddressSheet(
        first_name=contact.first_name,
        address_lines=tuple(line for line in lines if line),
        language=language,
        dated=format_date(today, language),
        batch=batch,
        position=position,
        count=count,
        item=item,
    )
