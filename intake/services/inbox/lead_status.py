"""Where a partner's lead has got to, for that partner: milestones and times, nothing personal.

Read from the inbox row (received, processed), the guide's email delivery
(and printed copy), and the callback's queue item with its call attempts.
Close reasons and call outcomes other than "reached" are left out: a
"deceased" or "do not call" is not the partner's to know.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from intake.models import email as email_model
from intake.models import queue as queue_model
from intake.models.email import EmailDelivery
from intake.models.fulfilment import FulfilmentItem
from intake.models.queue import CallAttempt, QueueItem
from intake.models.submission import Submission

RECEIVED, GUIDE_SENT, REACHED, CLOSED = "received", "guide_sent", "advocate_reached", "closed"
MILESTONES = (RECEIVED, GUIDE_SENT, REACHED, CLOSED)
GUIDE_STATES = ("received", "preparing", "sent", "failed", "not_sent")
CALLBACK_STATES = ("received", "queued", "advocate_reached", "closed")
_FINISHED_EMAIL = {
    email_model.SENT: "sent",
    email_model.FAILED: "failed",
    email_model.SUPPRESSED: "not_sent",
}


def iso(moment: datetime) -> str:
    """UTC, to the second, with a Z: the API's one date-time format."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def lead_status(session: Connection, partner_id: int, lead_id: str) -> dict[str, Any] | None:
    """The lead's status document; None when this partner sent no such lead."""
    rows = session.execute(
        select(
            Submission.form, Submission.received_at, Submission.processed_at, Submission.request_id
        )
        .where(Submission.lead_id == lead_id, Submission.partner_id == partner_id)
        .order_by(Submission.id)
    ).all()
    if not rows:
        return None
    events: list[tuple[str, datetime]] = [(RECEIVED, min(row.received_at for row in rows))]
    requests: dict[str, str] = {}
    finished: list[datetime | None] = []
    for row in rows:
        processed = row.processed_at is not None and row.request_id is not None
        reader = _guide if row.form == "guide" else _callback
        state, done_at = reader(session, row.request_id, events) if processed else (RECEIVED, None)
        requests[row.form] = state
        finished.append(done_at)
    if all(finished):
        events.append((CLOSED, max(at for at in finished if at is not None)))
    events.sort(key=lambda event: (MILESTONES.index(event[0]), event[1]))
    return {
        "id": lead_id,
        "status": events[-1][0],
        "received_at": iso(events[0][1]),
        "requests": requests,
        "events": [{"event": name, "at": iso(at)} for name, at in events],
    }


def _guide(
    session: Connection, request_id: int, events: list[tuple[str, datetime]]
) -> tuple[str, datetime | None]:
    """The guide's state and when it finished (sent, failed or not to be sent), if it has."""
    delivery = session.execute(
        select(EmailDelivery.status, EmailDelivery.sent_at, EmailDelivery.updated_at).where(
            EmailDelivery.purpose == email_model.PURPOSE_GUIDE,
            EmailDelivery.request_id == request_id,
        )
    ).first()
    mailed = session.execute(
        select(FulfilmentItem.mailed_at).where(FulfilmentItem.guide_request_id == request_id)
    ).first()
    if delivery is None and mailed is None:
        return "preparing", None
    if delivery is not None and delivery.status not in _FINISHED_EMAIL:
        return "preparing", None
    if mailed is not None and mailed.mailed_at is None:
        return "preparing", None
    sent_at = delivery.sent_at if delivery is not None and delivery.status == "sent" else None
    sent_at = sent_at or (mailed.mailed_at if mailed is not None else None)
    if sent_at is not None:
        events.append((GUIDE_SENT, sent_at))
        return "sent", sent_at
    assert delivery is not None
    return _FINISHED_EMAIL[delivery.status], delivery.updated_at


def _callback(
    session: Connection, request_id: int, events: list[tuple[str, datetime]]
) -> tuple[str, datetime | None]:
    """The call's state and when it closed, if it has; "reached" is the one outcome told."""
    item = session.execute(
        select(QueueItem.id, QueueItem.status, QueueItem.closed_at)
        .where(QueueItem.callback_request_id == request_id)
        .order_by(QueueItem.id.desc())
        .limit(1)
    ).first()
    if item is None:
        return "received", None
    reached = session.scalar(
        select(CallAttempt.started_at)
        .where(CallAttempt.queue_item_id == item.id, CallAttempt.outcome == "reached")
        .order_by(CallAttempt.started_at)
        .limit(1)
    )
    state = "queued"
    if reached is not None:
        events.append((REACHED, reached))
        state = "advocate_reached"
    if item.status in queue_model.CLOSED:
        return "closed", item.closed_at or reached
    return state, None
