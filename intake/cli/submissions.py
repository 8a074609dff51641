"""``intake submissions``: see received forms the worker has not processed, and retry them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select


@click.group("submissions")
def submissions_group() -> None:
    """Received public forms waiting for, or failing in, the worker."""


@submissions_group.command("list")
@with_appcontext
def list_submissions() -> None:
    """Counts of waiting forms, and every form that failed all its attempts (no personal data)."""
    from intake.extensions import db
    from intake.models import Submission
    from intake.services.inbox import submissions

    session = db.session()
    waiting = session.scalar(
        select(func.count()).select_from(Submission).where(Submission.processed_at.is_(None))
    )
    stuck = submissions.stuck(session)
    click.echo(f"{waiting} received forms not processed yet; {len(stuck)} need a person.")
    for row in stuck:
        click.echo(
            f"  #{row.id} {row.form} received {row.received_at:%Y-%m-%d %H:%M} UTC, "
            f"{row.attempts} attempts, last error: {row.last_error}"
        )
    if stuck:
        click.echo("Fix the cause, then: intake submissions retry ID ...")


@submissions_group.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
@with_appcontext
def retry_submissions(ids: tuple[int, ...]) -> None:
    """Give failed forms their attempts back; the next sweep hands them to the worker."""
    from intake.extensions import db
    from intake.services.inbox import submissions

    session = db.session()
    missing = [i for i in ids if not submissions.retry(session, i)]
    session.commit()
    for submission_id in ids:
        if submission_id not in missing:
            click.echo(f"#{submission_id} will be processed again within a minute.")
    if missing:
        raise click.ClickException(f"not waiting to be processed: {', '.join(map(str, missing))}")
