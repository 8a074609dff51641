"""``intake specialists``: CSV import (with a dry run) and export of the listings."""

from __future__ import annotations

from typing import TextIO

import click
from flask.cli import with_appcontext


@click.group()
def specialists() -> None:
    """Specialist listings: CSV import and export."""


@specialists.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change.")
@with_appcontext
def import_specialists(csv_file: TextIO, dry_run: bool) -> None:
    """Import listings from CSV; nothing is imported while any row has a problem."""
    from intake.extensions import db
    from intake.services.directory import specialists as service

    report = service.import_csv(db.session(), csv_file.read(), actor="cli", dry_run=dry_run)
    if not report.ok:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(report.problems)} problem(s) found; nothing was imported."
        )
    if not dry_run:
        db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{len(report.created)} new, {len(report.updated)} changed and "
        f"{len(report.unchanged)} unchanged listing(s) {verb} imported."
    )


@specialists.command("export")
@with_appcontext
def export_specialists() -> None:
    """Write every listing as CSV to standard output."""
    from intake.extensions import db
    from intake.services.directory import specialists as service

    click.echo(service.export_csv(db.session()), nl=False)
