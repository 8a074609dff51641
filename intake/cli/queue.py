"""``intake queue list`` and ``intake calling-hours``: the callback queue from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext


@click.group("queue")
def queue_group() -> None:
    """The advocates' callback queue."""


@queue_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per item.")
@with_appcontext
def list_queue(as_json: bool) -> None:
    """Open callback items in claim order: id, status, priority, zone, when callable, tries, owner.

    No personal data: staff open a lead in the console, where the view is audited.
    """
    from intake.extensions import db
    from intake.models.base import utcnow
    from intake.services.queue import queue

    now = utcnow()
    rows = [
        {
            "id": item.id,
            "status": item.status,
            "priority": queue.priority_score(item, now),
            "timezone": item.timezone,
            "callable_from": item.callable_from.astimezone(UTC).isoformat(timespec="seconds"),
            "attempts": item.attempts,
            "claimed_by": item.claimed_by.email if item.claimed_by else None,
        }
        for item in queue.open_items(db.session())
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{len(rows)} open callback item(s).")
    if rows:
        click.echo(f"{'id':>6}  {'status':<15} {'priority':>9}  {'timezone':<22} "
                   f"{'callable from (UTC)':<25} {'tries':>5}  claimed by")  # fmt: skip
    for row in rows:
        click.echo(
            f"{row['id']:>6}  {row['status']:<15} {row['priority']:>9}  "
            f"{row['timezone'] or 'unknown':<22} {row['callable_from']:<25} "
            f"{row['attempts']:>5}  {row['claimed_by'] or ''}"
        )


@click.command("calling-hours")
@click.option("--zip", "zip_code", required=True, metavar="ZIP", help="A 5-digit US ZIP code.")
@click.option("--at", "at", metavar="ISO8601", help="The instant to check (default: now).")
def calling_hours(zip_code: str, at: str | None) -> None:
    """May an advocate call this ZIP at that instant? JSON: window, rule, next allowed minute."""
    from intake import calling

    instant = None
    if at:
        try:
            instant = datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
        except ValueError:
            raise click.ClickException(f"--at: not an ISO 8601 time: {at!r}") from None
        if instant.tzinfo is None:
            raise click.ClickException("--at: give a time zone offset, e.g. 2026-12-01T09:30-05:00")
    try:
        answer = calling.describe(zip_code.strip(), instant)
    except calling.UnknownZip:
        raise click.ClickException(f"--zip: not a US ZIP code we know: {zip_code!r}") from None
    click.echo(json.dumps(answer))
