"""What admins do to specialist listings, each change written to the audit log.

The CSV rules live in ``specialist_csv`` and the upsert in ``specialists``;
this module adds the staff side: search, single edits, audited import/export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from intake.models.specialist import Specialist
from intake.services.directory import specialists
from intake.services.directory.specialists import ImportReport
from intake.services.staff import audit
from intake.services.staff.audit import Actor

PER_PAGE = 50


class DuplicateListing(ValueError):
    """A new listing reused a listing_id that is already taken."""


@dataclass(frozen=True)
class ListingFilters:
    """The admin list's search box and filters; empty values filter nothing."""

    q: str = ""
    state: str = ""
    cancer_type: str = ""
    specialty: str = ""
    active: bool | None = None
    accepting: bool | None = None


@dataclass
class Page:
    """One page of listings and enough to draw the pager."""

    items: list[Specialist] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """At least one page, even when nothing matched."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when empty)."""
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        """1-based position of the last row shown."""
        return self.first + len(self.items) - 1 if self.items else 0


def _like_pattern(text: str) -> str:
    """A contains-pattern that treats % and _ typed by the admin literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(filters: ListingFilters) -> Select[Any]:
    stmt = select(Specialist)
    if filters.q:
        pattern = _like_pattern(filters.q)
        full_name = Specialist.first_name + " " + Specialist.last_name
        columns = (full_name, Specialist.institution, Specialist.city, Specialist.listing_id)
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    if filters.state:
        stmt = stmt.where(Specialist.state == filters.state)
    if filters.specialty:
        stmt = stmt.where(Specialist.specialty == filters.specialty)
    if filters.cancer_type:
        # JSON arrays of a fixed vocabulary: a quoted-value match works on PostgreSQL and SQLite
        stmt = stmt.where(cast(Specialist.cancer_types, String).like(f'%"{filters.cancer_type}"%'))
    if filters.active is not None:
        stmt = stmt.where(Specialist.active.is_(filters.active))
    if filters.accepting is not None:
        stmt = stmt.where(Specialist.accepting_new_patients.is_(filters.accepting))
    return stmt


def search_listings(session: Session, filters: ListingFilters, page: int = 1) -> Page:
    """The admin list: matching listings ordered by listing_id, one page at a time."""
    stmt = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    result = Page(total=total)
    result.page = min(max(1, page), result.pages)
    offset = (result.page - 1) * PER_PAGE
    result.items = list(
        session.scalars(stmt.order_by(Specialist.listing_id).offset(offset).limit(PER_PAGE))
    )
    return result


def get_listing(session: Session, listing_id: str) -> Specialist | None:
    """A listing by its admin key."""
    return session.scalar(select(Specialist).where(Specialist.listing_id == listing_id))


def create_listing(
    session: Session, row: dict[str, Any], actor: Actor, ip: str | None = None
) -> Specialist:
    """Add a listing from clean values (``specialist_csv.parse_row``); listing_id must be new."""
    if get_listing(session, row["listing_id"]) is not None:
        raise DuplicateListing(row["listing_id"])
    specialist = Specialist(**row, updated_by=_by(actor))
    session.add(specialist)
    session.flush()
    audit.record(session, actor, "specialist.create", "specialist", specialist.listing_id, {}, ip)
    return specialist


def update_listing(
    session: Session,
    specialist: Specialist,
    row: dict[str, Any],
    actor: Actor,
    ip: str | None = None,
) -> list[str]:
    """Apply an edit; returns (and audits) the names of the fields that changed."""
    before = specialists.as_row(specialist)
    changed = [name for name in specialists.STORED_FIELDS if before[name] != row[name]]
    if changed:
        specialists.apply_row(specialist, row, _by(actor))
        session.flush()
        target, detail = specialist.listing_id, {"fields": changed}
        audit.record(session, actor, "specialist.update", "specialist", target, detail, ip)
    return changed


def set_listing_active(
    session: Session, specialist: Specialist, active: bool, actor: Actor, ip: str | None = None
) -> None:
    """Deactivate (hide from matching) or reactivate a listing, keeping its history."""
    if specialist.active == active:
        return
    specialist.active = active
    specialist.updated_by = _by(actor)
    session.flush()
    action = "specialist.reactivate" if active else "specialist.deactivate"
    audit.record(session, actor, action, "specialist", specialist.listing_id, {}, ip)


def import_listings(
    session: Session, text: str, actor: Actor, ip: str | None = None, dry_run: bool = False
) -> ImportReport:
    """Check or import a CSV file; a real import of a clean file is audited with its counts."""
    report = specialists.import_csv(session, text, actor=_by(actor), dry_run=dry_run)
    if report.ok and not dry_run:
        detail = {
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
        }
        audit.record(session, actor, "specialist.import", "specialist", None, detail, ip)
    return report


def export_listings(session: Session, actor: Actor, ip: str | None = None) -> str:
    """Every listing as CSV, with the export in the audit log."""
    text = specialists.export_csv(session)
    rows = max(0, text.count("\n") - 1)
    audit.record(session, actor, "specialist.export", "specialist", None, {"rows": rows}, ip)
    return text


def _by(actor: Actor) -> str:
    """``updated_by`` is a short label (the column holds 120 characters)."""
    return audit.actor_label(actor)[:120]


def listing_counts(session: Session) -> dict[str, int]:
    """Totals for the admin dashboard."""
    total, active, accepting = session.execute(
        select(
            func.count(Specialist.id),
            func.count(Specialist.id).filter(Specialist.active.is_(True)),
            func.count(Specialist.id).filter(
                Specialist.active.is_(True), Specialist.accepting_new_patients.is_(True)
            ),
        )
    ).one()
    return {"total": total, "active": active, "accepting": accepting}
