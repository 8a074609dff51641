"""``intake demo``: the fictional demo listings and demo staff sign-ins."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session


@click.command()
@with_appcontext
def demo() -> None:
    """Load the fictional demo data (idempotent: running it twice changes nothing)."""
    from intake.extensions import db
    from intake.services import specialists as service

    report = service.load_demo(db.session())
    if not report.ok:
        raise click.ClickException("demo data is invalid: " + "; ".join(map(str, report.problems)))
    staff = _ensure_demo_staff(db.session())
    db.session.commit()
    click.echo(
        f"Demo specialists: {len(report.created)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged."
    )
    logins = Path(current_app.instance_path) / "demo-staff.txt"
    if staff:  # only the hashes are in the database; keep the demo sign-ins for later starts
        logins.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(logins, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.writelines(f"Demo {role}: {email} / {secret}\n" for role, email, secret in staff)
    if logins.exists():
        click.echo(f"Demo staff sign-ins at /login (kept in {logins}):")
        click.echo(logins.read_text().rstrip())


DEMO_STAFF = (
    ("admin", "admin@example.org", "Demo Admin", ()),
    ("advocate", "advocate@example.org", "Demo Advocate", ("es", "va")),
)


def _ensure_demo_staff(session: Session) -> list[tuple[str, str, str]]:
    """Demo sign-ins with passwords made up on this machine, never shipped in the code."""
    from intake.services import audit, auth

    created = []
    for role, email, name, skills in DEMO_STAFF:
        if auth.find_user(session, email) is None:
            password = secrets.token_urlsafe(15)
            user = auth.create_user(session, email, role, password, name=name, skills=skills)
            audit.record(session, "demo", "user.create", "user", user.id, {"role": role})
            created.append((role, email, password))
    return created
