"""Partner leads: into the same sealed inbox as our forms, once per body and per Idempotency-Key.

Two guards, both on unique keys, so they hold across processes and at the
same instant:

- the submission key of each request is derived from the partner and the
  body (a keyed hash), so the same lead sent twice, with or without an
  ``Idempotency-Key``, is one submission, as a double-clicked form is;
- an ``Idempotency-Key`` stores the first answer, scoped to the partner,
  for 24 hours; a retry gets that answer back and creates nothing, and the
  same key with another body is refused.  The submissions and the answer
  are written in one transaction (one commit, as a form's one INSERT is), so
  there is never one without the other.  Two requests racing with the same
  key: the second's insert of the answer waits for the first's commit, then
  loses; its transaction rolls back (taking any submission only it made)
  and it returns the winner's answer, or a 422 if its body was another.

Without a key each statement commits by itself, as a form's does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from intake import crypto
from intake.forms.partner_lead import LeadInput, with_key
from intake.models.base import utcnow
from intake.models.partner import IdempotencyRecord
from intake.services import submissions
from intake.services.api_keys import Caller
from intake.services.inserts import insert_id_if_absent

IDEMPOTENCY_TTL = timedelta(hours=24)


class KeyReused(ValueError):
    """The Idempotency-Key was already used, within 24 hours, for another body."""


@dataclass
class Answer:
    """What the API answers: status, body, and the new submissions to announce to the worker."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    new_submissions: list[int] = field(default_factory=list)


def fingerprint(caller: Caller, body: Any) -> str:
    """Keyed hash of the parsed body for this partner (the same JSON in any order or spacing)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return crypto.lookup_hash(f"{caller.partner_id}:{canonical}", "partner-lead")


def submission_key(body_hash: str, form: str) -> str:
    """The submission key of one request of a lead: the same lead sent again is the same key."""
    digest = crypto.lookup_hash(f"{body_hash}:{form}", "partner-submission")
    return str(uuid.UUID(hex=digest[:32], version=4))


def receive_lead(
    connection: Connection,
    caller: Caller,
    lead: LeadInput,
    body_hash: str,
    idempotency_key: str | None,
    now: datetime | None = None,
    transaction: Callable[[], AbstractContextManager[Connection]] | None = None,
) -> Answer:
    """Store a validated lead (once) and the answer to its Idempotency-Key; the answer.

    ``connection`` autocommits; with a key, the writes run in one transaction
    (``transaction``: by default on another connection from the pool).
    """
    now = now or utcnow()
    if not idempotency_key:
        return _receive(connection, caller, lead, body_hash)
    # Straight to the writes: a new key (nearly every request) costs no look-up first.  A
    # retry's insert of the answer meets the stored one, rolls back what it wrote, and
    # answers with the stored answer; an expired answer is cleared and the lead stored anew.
    for _ in range(2):
        try:
            with (transaction or connection.engine.begin)() as writes:
                answer = _receive(writes, caller, lead, body_hash)
                if not _store(writes, caller, idempotency_key, body_hash, answer, now):
                    raise _LostRace
        except _LostRace:
            stored = _stored(connection, caller.partner_id, idempotency_key, now)
            if stored is not None:
                return _replay(stored, body_hash)
            continue  # it had expired (and is gone now): store this lead under the key
        return answer
    raise RuntimeError("an Idempotency-Key answer that neither holds nor expires")


class _LostRace(Exception):
    """Another request stored an answer for this key first: undo ours, answer with theirs."""


def _receive(connection: Connection, caller: Caller, lead: LeadInput, body_hash: str) -> Answer:
    """The lead's submissions, each once (a body sent before finds its own): the answer."""
    lead_id, first_lead, created = str(uuid.uuid4()), None, []
    for form in lead.forms:
        data = with_key(getattr(lead, form), submission_key(body_hash, form))
        partner = submissions.FromPartner(
            caller.partner_id, first_lead or lead_id, lead.given_at, lead.wordings
        )
        row_id, row_lead = submissions.receive_from_partner(
            connection, form, data, lead.ip_address, partner
        )
        if row_lead == lead_id:
            created.append(row_id)
        else:  # sent before (the rest of a lead a dead process half stored takes its id too)
            first_lead = row_lead
    public_id = first_lead or lead_id
    return Answer(202 if not first_lead else 200, lead_body(public_id, lead.forms), False, created)


def lead_body(lead_id: str, forms: list[str]) -> dict[str, Any]:
    """The answer to an accepted lead: its public id and where to follow it; nothing personal."""
    return {
        "id": lead_id,
        "status": "received",
        "requests": forms,
        "status_url": f"/api/v1/leads/{lead_id}/status",
    }


def _stored(
    connection: Connection, partner_id: int, key: str, now: datetime
) -> IdempotencyRecord | None:
    """The live record for this key; an expired one is deleted on the way (lazy clean-up)."""
    row = connection.execute(
        select(IdempotencyRecord.__table__).where(
            IdempotencyRecord.partner_id == partner_id, IdempotencyRecord.key == key
        )
    ).first()
    if row is None:
        return None
    if row.expires_at <= now:
        connection.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == row.id, IdempotencyRecord.expires_at <= now
            )
        )
        return None
    return row  # type: ignore[return-value]


def _replay(stored: Any, body_hash: str) -> Answer:
    if stored.request_hash != body_hash:
        raise KeyReused(stored.key)
    return Answer(stored.status_code, dict(stored.response), replayed=True)


def _store(
    connection: Connection,
    caller: Caller,
    key: str,
    body_hash: str,
    answer: Answer,
    now: datetime,
) -> bool:
    """Keep the answer for the key; False if another request stored one first."""
    values = {
        "partner_id": caller.partner_id,
        "key": key,
        "request_hash": body_hash,
        "status_code": answer.status,
        "response": answer.body,
        "created_at": now,
        "expires_at": now + IDEMPOTENCY_TTL,
    }
    return insert_id_if_absent(connection, IdempotencyRecord, values) is not None


def purge_idempotency_records(session: Session, now: datetime | None = None) -> int:
    """Delete the answers kept past their 24 hours; how many (run hourly by beat)."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
