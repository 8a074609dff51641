"""Specialist listings: CSV import (upsert on listing_id), export, demo data, edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import PROJECT_ROOT
from intake.models.specialist import Specialist
from intake.services.directory import specialist_csv
from intake.services.directory.specialist_csv import COLUMNS, Problem

DEMO_CSV = PROJECT_ROOT / "data" / "specialists_demo.csv"
STORED_FIELDS = (*COLUMNS, "lat", "lon", "timezone")


@dataclass
class ImportReport:
    """What an import did, or would do on a dry run."""

    problems: list[Problem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when the file was clean (and, unless a dry run, imported)."""
        return not self.problems


def as_row(specialist: Specialist) -> dict[str, Any]:
    """A listing as a CSV-shaped dict (the export's and the edit form's view of it)."""
    return {name: getattr(specialist, name) for name in STORED_FIELDS}


def import_csv(session: Session, text: str, actor: str, dry_run: bool = False) -> ImportReport:
    """Check the whole file; if clean (and not a dry run) upsert every row on listing_id."""
    parsed = specialist_csv.parse(text)
    report = ImportReport(problems=parsed.problems, dry_run=dry_run)
    if not parsed.ok:
        return report
    existing = {
        s.listing_id: s
        for s in session.scalars(
            select(Specialist).where(
                Specialist.listing_id.in_([r["listing_id"] for r in parsed.rows])
            )
        )
    }
    for row in parsed.rows:
        current = existing.get(row["listing_id"])
        if current is None:
            report.created.append(row["listing_id"])
            if not dry_run:
                session.add(Specialist(**row, updated_by=actor))
        elif as_row(current) == row:
            report.unchanged.append(row["listing_id"])
        else:
            report.updated.append(row["listing_id"])
            if not dry_run:
                apply_row(current, row, actor)
    if not dry_run:
        session.flush()
    return report


def apply_row(specialist: Specialist, row: dict[str, Any], actor: str) -> None:
    """Write clean values onto a listing and note who changed it."""
    for name in STORED_FIELDS:
        setattr(specialist, name, row[name])
    specialist.updated_by = actor


def export_csv(session: Session) -> str:
    """Every listing, active or not, ordered by listing_id."""
    listings = session.scalars(select(Specialist).order_by(Specialist.listing_id))
    return specialist_csv.to_csv(as_row(s) for s in listings)


def load_demo(session: Session, path: Path = DEMO_CSV) -> ImportReport:
    """Load the fictional demo listings (idempotent: a second run changes nothing)."""
    return import_csv(session, path.read_text(encoding="utf-8"), actor="demo")
