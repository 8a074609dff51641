"""``intake outbox``: follow-up jobs that are late or wait for a person, and retrying them."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("outbox")
def outbox_group() -> None:
    """Follow-up jobs (guide email, callback queue, matching) waiting for the worker."""


@outbox_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts and probes.")
@with_appcontext
def status(as_json: bool) -> None:
    """How many jobs are open, late (past the re-publish time) or waiting for a person."""
    from intake.extensions import db
    from intake.services import outbox

    policy = outbox.RepublishPolicy.from_config(current_app.config)
    health = outbox.health(db.session(), policy)
    db.session.rollback()
    if as_json:
        click.echo(json.dumps({**health.as_dict(), "republish_seconds": policy.after}))
        return
    oldest = (
        f"; the oldest has waited {health.oldest_open_seconds:.0f} s"
        if health.oldest_open_seconds is not None
        else ""
    )
    click.echo(
        f"{health.open} open job(s), {health.unpublished} not yet handed to the broker, "
        f"{health.overdue} waiting longer than the re-publish time ({policy.after:.0f} s)"
        f"{oldest}; {health.gave_up} waiting for a person."
    )


@outbox_group.command("list")
@with_appcontext
def list_jobs() -> None:
    """Every job that gave up and waits for a person (ids and causes only, no personal data)."""
    from intake.extensions import db
    from intake.services import outbox

    rows = outbox.waiting_for_person(db.session())
    click.echo(f"{len(rows)} job(s) wait for a person.")
    for row in rows:
        click.echo(
            f"  #{row.id} {row.task_name}{tuple(row.args)} created {row.created_at:%Y-%m-%d %H:%M} "
            f"UTC, {row.publish_attempts} publishes, gave up {row.gave_up_at:%Y-%m-%d %H:%M} UTC: "
            f"{row.last_error}"
        )
    if rows:
        click.echo("Fix the cause, then: intake outbox retry ID ...")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
@with_appcontext
def retry_jobs(ids: tuple[int, ...]) -> None:
    """Give jobs that gave up a fresh start; the next relay (within a minute) hands them out."""
    from intake.extensions import db
    from intake.services import outbox
    from intake.services.staff import audit

    session = db.session()
    missing = [job_id for job_id in ids if not outbox.retry(session, job_id)]
    retried = [job_id for job_id in ids if job_id not in missing]
    if retried:
        audit.record(session, "cli", "outbox.retry", "outbox", ",".join(map(str, retried)))
    session.commit()
    for job_id in retried:
        click.echo(f"#{job_id} will be handed to the worker again within a minute.")
    if missing:
        raise click.ClickException(f"not waiting for a person: {', '.join(map(str, missing))}")
