"""Reading the audit log: filters by person, action, lead and dates; pages; an audited export.

The log itself is written by ``audit.record`` and can only grow (a database
trigger); this module only reads it.  Rows are shown newest first and paged
by id (``before``), which stays correct while new rows arrive.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from intake import csv_cells
from intake.models.audit import AuditEvent
from intake.models.user import User
from intake.services.staff import audit

PAGE = 100
MAX_EXPORT = 50_000
_ACTION_RE = re.compile(r"^[a-z_.]{1,60}$")


@dataclass(frozen=True)
class Filters:
    """What the admin asked to see (all optional)."""

    person: str = ""  # part of a staff email
    action: str = ""
    lead: int | None = None  # a queue item (the lead page's number)
    since: date | None = None
    until: date | None = None

    def active(self) -> dict[str, str]:
        """The filters in use, for the export's audit row and the page (no values beyond them)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in ("", None)}


def parse(args: Any) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string, and a message per field that could not be read."""
    errors: dict[str, str] = {}
    person = str(args.get("person", "")).strip()[:254]
    action = str(args.get("action", "")).strip()
    if action and not _ACTION_RE.match(action):
        errors["action"], action = "Choose an action from the list.", ""
    lead_text = str(args.get("lead", "")).strip()
    lead = None
    if lead_text:
        if lead_text.isdigit() and len(lead_text) < 12:
            lead = int(lead_text)
        else:
            errors["lead"] = "A lead is the number on its page, like 1042."
    since, until = _day(args, "since", errors), _day(args, "until", errors)
    if since and until and since > until:
        errors["until"] = "The end date is before the start date."
    return Filters(person, action, lead, since, until), errors


def _day(args: Any, name: str, errors: dict[str, str]) -> date | None:
    text = str(args.get(name, "")).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Use a date like 2026-11-29."
        return None


def _filtered(filters: Filters, zone: tzinfo) -> Select[Any]:
    """The rows the filters ask for; their days are calendar days in ``zone`` (the team's)."""
    query = select(AuditEvent)
    if filters.person:
        actors = select(User.id).where(User.email.contains(filters.person.lower(), autoescape=True))
        query = query.where(
            AuditEvent.actor_id.in_(actors)
            | AuditEvent.actor_label.contains(filters.person, autoescape=True)
        )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.lead is not None:
        query = query.where(
            AuditEvent.target_type == "queue_item", AuditEvent.target_id == str(filters.lead)
        )
    if filters.since:
        query = query.where(AuditEvent.at >= _midnight(filters.since, zone))
    if filters.until:
        query = query.where(AuditEvent.at < _midnight(filters.until + timedelta(days=1), zone))
    return query


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC (a DST day is 23 or 25 hours)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def page(
    session: Session, filters: Filters, before: int | None = None, zone: tzinfo = UTC
) -> list[AuditEvent]:
    """One page of matching rows, newest first, older than ``before`` when given."""
    query = _filtered(filters, zone)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE)))


def actions(session: Session) -> list[str]:
    """Every action the log holds, for the filter's list."""
    return sorted(session.scalars(select(AuditEvent.action).distinct()))


COLUMNS = ("id", "at_utc", "who", "action", "target_type", "target_id", "detail", "ip")


def export(
    session: Session, filters: Filters, admin: User, ip: str | None, zone: tzinfo = UTC
) -> str:
    """The matching rows as CSV (formula-safe); the export itself is audited in this transaction."""
    rows = session.scalars(_filtered(filters, zone).order_by(AuditEvent.id).limit(MAX_EXPORT)).all()
    text = csv_cells.write_rows(COLUMNS, (
        (e.id, e.at.isoformat(timespec="seconds"), e.actor_label, e.action, e.target_type or "",
         e.target_id or "", _detail(e.detail), e.ip or "")
        for e in rows
    ))  # fmt: skip
    audit.record(session, admin, "audit.export", "audit_log", None,
                 {"rows": len(rows), "filters": sorted(filters.active())}, ip)  # fmt: skip
    return text


def _detail(detail: dict[str, Any] | None) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((detail or {}).items()))
