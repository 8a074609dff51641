"""Callback forms from people not on file, built into leads rows a whole batch at a time.

The worker's common case is someone writing for the first time: a new
contact, case, case link, consent grants, request, case facts and two
jobs.  Built one form at a time (``leads.submit_callback_request``) that is
a dozen statements a form; here each table takes one multi-row INSERT for
the whole batch, inside the batch's one transaction.

Only forms whose rows cannot depend on another form come here, so the rows
are those the one-by-one path would write: a callback form whose email and
phone no other form of the batch gives (forms sharing a point are built in
order by the one-by-one path, so a later one joins or marks an earlier
one).  A form whose email and phone pair is already on file loses the
contact INSERT's ON CONFLICT and is handed back, to join that contact the
usual way; a point shared with a contact on file is marked as a possible
match, as ``contacts.find_or_create_contact`` does.  The values of every
row come from the same functions the one-by-one path uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, CaseFact, Contact
from intake.services import outbox
from intake.services.inbox import leads
from intake.services.people import contacts
from intake.services.people.inserts import _insert_for


@dataclass(frozen=True)
class Arrival:
    """A received form of the batch, read: its inbox row, the form and how it arrived."""

    submission_id: int
    form: leads.GuideSubmission | leads.CallbackSubmission
    receipt: leads.Receipt


@dataclass(frozen=True)
class Built:
    """What one form became: its request, and the jobs to relay once committed."""

    request_id: int
    outbox_ids: list[int]


def build(session: Session, arrivals: list[Arrival]) -> tuple[dict[int, Built], list[Arrival]]:
    """Build every newcomer's rows together; the others, in their order, for the one-by-one path.

    Flushed into the caller's transaction.  Any failing statement fails the
    whole batch: the caller rolls back and processes each form alone.
    """
    if session.get_bind().dialect.name != "postgresql":  # the embedded mode: one by one
        return {}, arrivals
    apart = _apart(arrivals)
    newcomers = [a for a in arrivals if a.submission_id in apart]
    if not newcomers:
        return {}, arrivals
    contact_ids = _insert_contacts(session, newcomers)
    built = _build_rows(session, [a for a in newcomers if a.submission_id in contact_ids],
                        contact_ids)  # fmt: skip
    # the others, and the newcomers whose email and phone pair was on file after all
    return built, [a for a in arrivals if a.submission_id not in built]


def _points(form: Any) -> list[str]:
    person = form.person
    return [f"e{contacts.email_hash(person.email)}" if person.email else "",
            f"p{contacts.phone_hash(person.phone)}" if person.phone else ""]  # fmt: skip


def _apart(arrivals: list[Arrival]) -> set[int]:
    """The callback forms (with a phone, as the form requires) that share no email or phone
    with another form of the batch."""
    points = {a.submission_id: [p for p in _points(a.form) if p] for a in arrivals}
    counts = Counter(p for found in points.values() for p in found)
    return {
        a.submission_id
        for a in arrivals
        if isinstance(a.form, leads.CallbackSubmission)
        and a.form.person.phone
        and all(counts[p] == 1 for p in points[a.submission_id])
    }


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def _insert_contacts(session: Session, newcomers: list[Arrival]) -> dict[int, int]:
    """One contact per newcomer (none where the email and phone pair is on file, concurrent
    inserts included); submission id -> contact id.  Shared points are marked."""
    table = _table(Contact)
    rows = [contacts.new_contact_values(a.form.person) for a in newcomers]
    statement = _insert_for("postgresql")(table).on_conflict_do_nothing()
    made = session.execute(
        statement.returning(table.c.id, table.c.email_hash, table.c.phone_hash), rows
    ).all()
    by_phone = {row.phone_hash: row for row in made}  # phones are unique among newcomers
    contact_ids = {}
    for arrival, values in zip(newcomers, rows, strict=True):
        row = by_phone.get(values["phone_hash"])
        if row is not None and row.email_hash == values["email_hash"]:
            contact_ids[arrival.submission_id] = row.id
    if made:
        contacts.mark_possible_matches(
            session, [(row.id, row.email_hash, row.phone_hash) for row in made]
        )
    return contact_ids


def _inserted_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one statement; their new ids in the order given."""
    table = _table(model)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _build_rows(
    session: Session, newcomers: list[Arrival], contact_ids: dict[int, int]
) -> dict[int, Built]:
    """Case, link, grants, request, facts and jobs of each newcomer: one INSERT per table."""
    if not newcomers:
        return {}
    forms: list[leads.CallbackSubmission] = [a.form for a in newcomers]  # type: ignore[misc]
    owners = [contact_ids[a.submission_id] for a in newcomers]
    cases = [contacts.new_case_values(f.case, o) for f, o in zip(forms, owners, strict=True)]
    case_ids = _inserted_ids(session, Case, cases)
    mine = list(zip(newcomers, forms, owners, case_ids, strict=True))
    links = [{"case_id": case_id, "contact_id": owner, "relationship": form.case.relationship}
             for _a, form, owner, case_id in mine]  # fmt: skip
    session.execute(insert(_table(CaseContact)), links)
    grants = [
        {"granted_at": utcnow(),  # named in every row (one statement), unless it came with the form
         **a.receipt.grant_values(owner, current, covers, leads.CALLBACK_FORM)}
        for a, form, owner, _case in mine
        for current, covers in leads.callback_grants(form)
    ]  # fmt: skip
    session.execute(insert(_table(ConsentRecord)), grants)
    requests = [leads.callback_request_values(form, owner, case_id)
                for _a, form, owner, case_id in mine]  # fmt: skip
    request_ids = _inserted_ids(session, CallbackRequest, requests)
    facts = [contacts.fact_values(case_id, owner, "callback", request_id, form.case)
             for (_a, form, owner, case_id), request_id
             in zip(mine, request_ids, strict=True)]  # fmt: skip
    session.execute(insert(_table(CaseFact)), facts)
    jobs: list[list[tuple[str, list[Any]]]] = [
        [(leads.TASK_QUEUE_CALLBACK, [request_id])]
        + ([(leads.TASK_MATCH_CASE, [case_id])]
           if leads.wants_match(SimpleNamespace(**case)) else [])
        for case, case_id, request_id in zip(cases, case_ids, request_ids, strict=True)
    ]  # fmt: skip
    job_ids = iter(outbox.enqueue_jobs(session, [job for each in jobs for job in each]))
    return {
        a.submission_id: Built(request_id, [next(job_ids) for _job in each])
        for a, request_id, each in zip(newcomers, request_ids, jobs, strict=True)
    }
