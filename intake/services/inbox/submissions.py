"""The inbox: receive a public form as one sealed row, and turn it into leads in the worker.

Why two steps: the confirmation page must only be shown for a request that
can no longer be lost, and it must come back fast on a phone.  One INSERT
of the sealed form is both (it is committed before the page is sent, and
it is all the web request writes).  The worker then builds the contact,
case, consent records, request and follow-up jobs from it in one
transaction (``leads.py``), marks the row processed, and relays the jobs.

Every step may run more than once (a double click, a redelivered task, the
sweep catching a row the worker already has): the form's submission key
makes receiving idempotent, and a row lock plus ``processed_at`` makes
processing idempotent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from intake.logsafe import describe_failure
from intake.models.base import utcnow
from intake.models.submission import Submission
from intake.services.inbox import leads, newcomers
from intake.services.people import consent
from intake.services.people.contacts import CaseFacts, Person
from intake.services.people.inserts import insert_id_if_absent

log = logging.getLogger(__name__)

GUIDE = "guide"
CALLBACK = "callback"
PAYLOAD_VERSION = 1
# after this many failed tries a submission waits for a person (``intake submissions``)
MAX_ATTEMPTS = 10

FormData = leads.GuideSubmission | leads.CallbackSubmission
_FORMS: dict[str, tuple[type[Any], Callable[..., leads.Outcome]]] = {
    GUIDE: (leads.GuideSubmission, leads.submit_guide_request),
    CALLBACK: (leads.CallbackSubmission, leads.submit_callback_request),
}


@dataclass(frozen=True)
class FromPartner:
    """A lead a partner site sent through the API: who, its public id, and the consent it
    recorded (when, and the words shown: see ``forms/partner_lead.py``)."""

    partner_id: int
    lead_id: str
    given_at: datetime
    wordings: dict[str, Any]


def receive(
    connection: Connection, form: str, data: FormData, ip: str | None, shown_in: str = "en"
) -> int:
    """Store a validated form as one sealed row; its id (the first row's, on a double submit).

    Written through Core on the caller's connection (autocommitted in the
    web request, see ``extensions.autocommit_connection``): the caller shows
    the confirmation page only once this has returned.  ``shown_in`` is the
    language the page was shown in, so the ledger records the consent words
    the person read (``consent.shown_on``).
    """
    payload = {"v": PAYLOAD_VERSION, "data": as_plain(data), "ip": ip,
               "consent": consent.versions_shown(form, shown_in)}  # fmt: skip
    return _insert(connection, form, data.submission_key, payload, {})[0]


def receive_from_partner(
    connection: Connection, form: str, data: FormData, ip: str, partner: FromPartner
) -> tuple[int, str | None]:
    """Store a partner's request like a form; its id and lead id (the first one's, if resent)."""
    values = partner_row(form, data, ip, partner)
    return _insert(connection, form, data.submission_key, values["payload"], values)


def partner_row(form: str, data: FormData, ip: str, partner: FromPartner) -> dict[str, Any]:
    """The inbox row of a partner's request, as column values (payload unsealed yet)."""
    if form not in _FORMS:
        raise ValueError(f"unknown form {form!r}")
    payload = {
        "v": PAYLOAD_VERSION,
        "data": as_plain(data),
        "ip": ip,
        "consent": partner.wordings,
        "given_at": partner.given_at.isoformat(),
        "source": f"partner:{partner.partner_id}",
    }
    return {
        "form": form,
        "submission_key": data.submission_key,
        "payload": payload,
        "partner_id": partner.partner_id,
        "lead_id": partner.lead_id,
    }


def as_plain(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copy of every leaf, for the sealed payload.

    Form data is frozen dataclasses of strings, booleans and None (and lists
    and dicts of them), serialised at once: a copy of each leaf protects
    nothing here, and it was most of the 17 us ``asdict`` took on the intake POST.
    """
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    names = _FIELD_NAMES.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: as_plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return type(value)(as_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _insert(
    connection: Connection, form: str, key: str, payload: dict[str, Any], extra: dict[str, Any]
) -> tuple[int, str | None]:
    if form not in _FORMS:
        raise ValueError(f"unknown form {form!r}")
    values = {"form": form, "submission_key": key, "payload": payload, **extra}
    row_id = insert_id_if_absent(connection, Submission, values)
    if row_id is not None:
        return row_id, extra.get("lead_id")
    # the same form was sent twice: both answers point at the first
    first = connection.execute(
        select(Submission.id, Submission.lead_id).where(
            Submission.form == form, Submission.submission_key == key
        )
    ).one()
    return first.id, first.lead_id


def decode(row: Submission) -> FormData:
    """The form as the person sent it (raises if its payload was already cleared)."""
    if row.payload is None:
        raise LookupError(f"submission {row.id} has no payload any more")
    model, _submit = _FORMS[row.form]
    data = dict(row.payload["data"])
    data["person"] = Person(**data["person"])
    data["case"] = CaseFacts(**data["case"])
    return model(**data)  # type: ignore[no-any-return]


def load(session: Session, submission_id: int, form: str) -> FormData | None:
    """A received form of this kind, for its confirmation page; None if unknown or purged."""
    row = session.get(Submission, submission_id)
    if row is None or row.form != form or row.payload is None:
        return None
    return decode(row)


def process(session: Session, submission_id: int) -> leads.Outcome | None:
    """Build the leads rows for one submission, once; None if there was nothing to do.

    The row is locked first, so two workers given the same id (a redelivery
    racing the sweep) do the work once: the second skips a row the first
    holds (it is the first's to finish, or the sweep's if that one dies).
    """
    row = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update(skip_locked=True)
    ).first()
    if row is None or row.processed_at is not None:
        return None
    outcome = _build_one(session, row, decode(row), _receipt(row))
    _stamp(row, outcome.request.id)
    session.flush()
    return outcome


def _receipt(row: Submission) -> leads.Receipt:
    assert row.payload is not None
    given_at = row.payload.get("given_at")  # a partner's lead: when the person agreed
    return leads.Receipt(
        at=datetime.fromisoformat(given_at) if given_at else row.received_at,
        ip=row.payload.get("ip"),
        wording=row.payload.get("consent", {}),
        source=row.payload.get("source"),
    )


def _build_one(
    session: Session, row: Submission, form: FormData, receipt: leads.Receipt
) -> leads.Outcome:
    _model, submit = _FORMS[row.form]
    return submit(session, form, receipt)


def _stamp(row: Submission, request_id: int) -> None:
    row.processed_at = utcnow()
    row.last_error = None
    row.request_id = request_id


BATCH_SIZE = 100  # forms a transaction: bigger saves little more, and holds more row locks
RELAY_LIMIT = 200  # jobs a relay publishes at most; a batch of guide forms may owe more


def process_many(
    session: Session,
    ids: list[int],
    relay: Callable[[list[int]], None],
    batch_size: int = BATCH_SIZE,
) -> list[int]:
    """Process submissions a batch to a transaction; the ids that failed.

    A batch's first attempts are counted and committed, then every form of
    it is built and stamped in one transaction (newcomers set-wise, see
    ``newcomers.py``; the others one after the other) and its jobs relayed.
    One bad submission never holds up the others: if anything in the batch
    fails, it is rolled back and each form runs alone in its own
    transaction, as does any form already tried before.  A failure is
    counted on its row (type and place only: messages may quote what a
    person typed) and left for the sweep to hand out again.
    """
    failed: list[int] = []
    for start in range(0, len(ids), batch_size):
        failed += _process_batch(session, ids[start : start + batch_size], relay)
    return failed


def _process_batch(
    session: Session, ids: list[int], relay: Callable[[list[int]], None]
) -> list[int]:
    try:
        started = begin_attempts(session, ids)
        session.commit()  # the attempts count even if this process dies in the work
    except Exception as exc:  # the database is down: the sweep hands them out again
        session.rollback()
        log.error("submissions %s could not start: %s", ids, describe_failure(exc))
        return list(ids)
    # a form tried before may be the one that killed its worker: it goes alone, so the
    # others of its first batch are not stopped with it when its attempts run out
    first = [submission_id for submission_id, attempts in started if attempts == 1]
    again = [submission_id for submission_id, attempts in started if attempts > 1]
    failed: list[int] = []
    if len(first) > 1:
        try:
            jobs = _build_batch(session, first)
            session.commit()
        except Exception as exc:  # noqa: BLE001 (which form and why: each alone says)
            session.rollback()
            log.warning("a batch of %d submissions failed (%s); each runs alone",
                        len(first), describe_failure(exc))  # fmt: skip
            again = sorted(first + again)
        else:  # in pieces the relay takes whole (``outbox.relay_pending``'s limit)
            for start in range(0, len(jobs), RELAY_LIMIT):
                relay(jobs[start : start + RELAY_LIMIT])
    else:
        again = sorted(first + again)
    for submission_id in again:
        if not _process_alone(session, submission_id, relay):
            failed.append(submission_id)
    return failed


def _build_batch(session: Session, ids: list[int]) -> list[int]:
    """Build and stamp every unprocessed form of ``ids`` under its row lock; the jobs made.

    Rows another worker holds are skipped, not waited for: they are that
    worker's to finish (a redelivered batch would otherwise wait for the whole
    of the other's transaction, then find its rows done).
    """
    rows = session.scalars(
        select(Submission)
        .where(Submission.id.in_(ids), Submission.processed_at.is_(None))
        .order_by(Submission.id)
        .with_for_update(skip_locked=True)
    ).all()
    by_id = {row.id: row for row in rows}
    arrivals = [newcomers.Arrival(row.id, decode(row), _receipt(row)) for row in rows]
    built, left = newcomers.build(session, arrivals)
    jobs = [job for done in built.values() for job in done.outbox_ids]
    for arrival in left:
        row = by_id[arrival.submission_id]
        outcome = _build_one(session, row, arrival.form, arrival.receipt)
        built[row.id] = newcomers.Built(outcome.request.id, outcome.outbox_ids)
        jobs += outcome.outbox_ids
    for row in rows:
        _stamp(row, built[row.id].request_id)
    session.flush()
    return jobs


def _process_alone(
    session: Session, submission_id: int, relay: Callable[[list[int]], None]
) -> bool:
    """One form in its own transaction (its attempt already counted); False if it failed."""
    try:
        outcome = process(session, submission_id)
        session.commit()
    except Exception as exc:
        session.rollback()
        _record_failure(session, submission_id, describe_failure(exc))
        return False
    if outcome is not None:
        relay(outcome.outbox_ids)
    return True


def begin_attempt(session: Session, submission_id: int) -> bool:
    """Count a start on an unprocessed submission; False if done or out of attempts.

    Counted before the work, in its own commit, so a submission that kills
    its worker (redelivered each time by ``task_reject_on_worker_lost``)
    still runs out of attempts and waits for a person instead of looping.
    """
    return bool(begin_attempts(session, [submission_id]))


def begin_attempts(session: Session, ids: list[int]) -> list[tuple[int, int]]:
    """``begin_attempt`` for many in one statement: (id, attempts now) of each one started.

    Rows another worker holds (it is building them) are left alone: no wait
    for its transaction, no attempt counted, nothing started twice.  Locked in
    id order, so two workers given overlapping batches cannot deadlock.
    """
    free = (
        select(Submission.id)
        .where(
            Submission.id.in_(ids),
            Submission.processed_at.is_(None),
            Submission.attempts < MAX_ATTEMPTS,
        )
        .order_by(Submission.id)
        .with_for_update(skip_locked=True)
    )
    started = session.execute(
        update(Submission)
        .where(Submission.id.in_(free))
        .values(attempts=Submission.attempts + 1)
        .returning(Submission.id, Submission.attempts)
    ).all()
    return sorted((row.id, row.attempts) for row in started)


def _record_failure(session: Session, submission_id: int, failure: str) -> None:
    log.error("submission %s could not be processed: %s", submission_id, failure)
    try:
        session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.processed_at.is_(None))
            .values(last_error=failure[:500])
        )
        session.commit()
    except Exception as exc:  # the database itself is failing; the sweep will try again
        session.rollback()
        log.error(
            "could not count the failure of submission %s: %s", submission_id, describe_failure(exc)
        )


def due(session: Session, grace_seconds: float, limit: int = 500) -> list[int]:
    """Unprocessed submissions older than the grace period, for the sweep to hand out again.

    The grace period leaves fresh rows to the web process's own announcement;
    rows that failed ``MAX_ATTEMPTS`` times wait for a person instead.
    """
    cutoff = utcnow() - timedelta(seconds=grace_seconds)
    return list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.processed_at.is_(None),
                Submission.received_at < cutoff,
                Submission.attempts < MAX_ATTEMPTS,
            )
            .order_by(Submission.id)
            .limit(limit)
        )
    )


def stuck(session: Session) -> list[Submission]:
    """Submissions that failed every attempt: they need a person to look at them."""
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.processed_at.is_(None), Submission.attempts >= MAX_ATTEMPTS)
            .order_by(Submission.id)
        )
    )


def retry(session: Session, submission_id: int) -> bool:
    """Give a stuck submission its attempts back (after fixing the cause); False if not stuck."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.processed_at.is_(None))
        .values(attempts=0)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def purge_payloads(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Clear the sealed forms of processed submissions past their keeping time; how many.

    The leads rows hold everything the service needs; the raw form is kept
    only as long as a replay might be wanted.
    """
    cutoff = (now or utcnow()) - older_than
    result = session.execute(
        update(Submission)
        .where(
            Submission.processed_at.is_not(None),
            Submission.processed_at < cutoff,
            Submission.payload.is_not(None),
        )
        .values(payload=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
