"""Partner leads: into the same sealed inbox as our forms, once per body and per Idempotency-Key.

Two guards, both on unique keys, so they hold across processes and at the
same instant:

- the submission key of each request is derived from the partner and the
  body (a keyed hash), so the same lead sent twice, with or without an
  ``Idempotency-Key``, is one submission, as a double-clicked form is;
- an ``Idempotency-Key`` stores the first answer, scoped to the partner,
  for 24 hours; a retry gets that answer back and creates nothing, and the
  same key with another body is refused.  The submission and the answer
  are written together, so there is never one without the other: on
  PostgreSQL a one-request lead is one statement (the inbox INSERT in a
  CTE, the answer's INSERT from it: one round trip and one commit, as a
  form's one INSERT is); anything else (two requests in one lead, a body
  sent before, a key used before, SQLite) takes one transaction.

Each write also checks that the API key is live, in the same statement or
transaction: the web process may remember a key it has checked before
(``views/api/leads.py``), and a revoked key must still write nothing.  Two
  requests racing with the same key: the second's insert waits for the
  first's commit, then loses; its statement or transaction is undone
  (taking any submission only it made) and it returns the winner's answer,
  or a 422 if its body was another.

Without a key each statement commits by itself, as a form's does.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import autocommit_pool, crypto
from intake.forms.partner_lead import LeadInput, with_key
from intake.models.base import utcnow
from intake.models.partner import IdempotencyRecord
from intake.models.submission import Submission
from intake.services.inbox import api_keys, submissions
from intake.services.inbox.api_keys import Caller
from intake.services.people.inserts import insert_id_if_absent

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

    Every write checks that the caller's key is still live (``KeyRevoked``
    if not), so a key revoked a moment ago writes nothing, whatever the
    web process remembered of it.  ``connection`` autocommits; the
    transaction path runs in ``transaction`` (by default on another
    connection from the pool).
    """
    now = now or utcnow()
    if len(lead.forms) == 1 and connection.dialect.name == "postgresql":
        answer = _receive_in_one_statement(
            connection, caller, lead, body_hash, idempotency_key, now
        )
        if answer is not None:
            return answer
    if not api_keys.is_live(connection, caller):
        raise api_keys.KeyRevoked(caller.key_id)
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


def _receive_in_one_statement(
    connection: Connection,
    caller: Caller,
    lead: LeadInput,
    body_hash: str,
    key: str | None,
    now: datetime,
) -> Answer | None:
    """A new lead of one request, under a live API key, stored (with the answer to its
    Idempotency-Key, if it has one) in one statement.

    None when that is not what happened and nothing was written: the body
    was sent before (the inbox INSERT found its row, so no answer was
    inserted from it), the API key was revoked (the INSERT selected no
    row), or the Idempotency-Key was used before (the answer's unique key
    failed the statement, the inbox row with it).  The slower path then
    sorts out which.
    """
    (form,) = lead.forms
    lead_id = str(uuid.uuid4())
    data = with_key(getattr(lead, form), submission_key(body_hash, form))
    partner = submissions.FromPartner(caller.partner_id, lead_id, lead.given_at, lead.wordings)
    answer = Answer(202, lead_body(lead_id, lead.forms))
    params = {
        **submissions.partner_row(form, data, lead.ip_address, partner),
        "received_at": now,
        "key_id": caller.key_id,
    }
    if key is not None:
        params |= {
            "key": key,
            "request_hash": body_hash,
            "status_code": answer.status,
            "response": answer.body,
            "expires_at": now + IDEMPOTENCY_TTL,
        }
    statement = _lead_with_answer() if key is not None else _lead_alone()
    try:  # in a caller's transaction, a savepoint keeps a failed statement from ending it
        with (
            nullcontext() if autocommit_pool.autocommits(connection) else connection.begin_nested()
        ):
            submission_id = connection.execute(statement, params).scalar()
    except IntegrityError:
        return None
    if submission_id is None:
        return None
    answer.new_submissions.append(submission_id)
    return answer


_INBOX_COLUMNS = ("form", "submission_key", "payload", "partner_id", "lead_id", "received_at")


def _new_submission() -> Any:
    """INSERT the inbox row if its API key is live and the row is new, RETURNING its id."""
    inbox = cast(Table, Submission.__table__)
    row = select(
        *(bindparam(name, type_=inbox.c[name].type) for name in _INBOX_COLUMNS),
        literal(0, Integer),
    ).where(api_keys.live_key_clause())
    return (
        postgresql.insert(inbox)
        .from_select([*_INBOX_COLUMNS, "attempts"], row)
        .on_conflict_do_nothing()
        .returning(inbox.c.id)
    )


@functools.cache
def _lead_alone() -> Any:
    """The one statement of a one-request lead without an Idempotency-Key (built once)."""
    return _new_submission()


@functools.cache
def _lead_with_answer() -> Any:
    """The one statement with an Idempotency-Key (built once): the inbox row if new, and
    the answer from it.

    The answer's INSERT has no ON CONFLICT: a key used before fails the
    whole statement, so the inbox row is not kept without its answer.
    """
    answers = cast(Table, IdempotencyRecord.__table__)
    new = _new_submission().cte("new_submission")
    columns = ("partner_id", "key", "request_hash", "status_code", "response", "expires_at")
    answer = select(
        *(bindparam(name, type_=answers.c[name].type) for name in columns),
        bindparam("received_at", type_=answers.c.created_at.type),
    ).select_from(new)
    return (
        answers.insert()
        .from_select([*columns, "created_at"], answer)
        .returning(select(new.c.id).scalar_subquery())
    )


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
