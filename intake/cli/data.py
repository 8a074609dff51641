"""``intake data purge``: erase people past the retention period now, or count them first."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("data")
def data_group() -> None:
    """Personal data: the retention period."""


@data_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@click.option("--days", type=float, default=None, help="Override RETENTION_DAYS for this run.")
@click.option("--limit", type=int, default=500, show_default=True, help="Most people per run.")
@with_appcontext
def purge(dry_run: bool, days: float | None, limit: int) -> None:
    """Erase people whose requests all closed more than RETENTION_DAYS ago (counts only)."""
    from intake.extensions import db
    from intake.services.privacy import retention

    period = days if days is not None else float(current_app.config["RETENTION_DAYS"])
    if period < 1:
        raise click.BadParameter("must be at least 1 day", param_hint="--days")
    session = db.session()
    result = retention.purge(session, timedelta(days=period), dry_run=dry_run, limit=limit)
    if not dry_run:  # a dry run already rolled its savepoint back: nothing to keep
        session.commit()
    verb = "would be erased" if dry_run else "erased"
    click.echo(f"People {verb} (no activity for {period:g} days, nothing open):")
    for line in result.lines():
        click.echo(f"  {line}")
