"""``intake demo``: the fictional demo listings, demo staff sign-ins and a week of activity."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
import pyotp
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session


@click.group(invoke_without_command=True)
@click.pass_context
@with_appcontext
def demo(ctx: click.Context) -> None:
    """Load the fictional demo data (idempotent: running it twice changes nothing)."""
    if ctx.invoked_subcommand is None:
        _load_demo()


@demo.command("code")
@with_appcontext
def demo_code() -> None:
    """Print the demo admin's current second-step code (the SQLite demo only)."""
    from intake.extensions import db
    from intake.services.staff import auth, mfa

    if not _is_demo():
        raise click.ClickException("only in the one-machine demo: real admins use their app")
    admin = auth.find_user(db.session(), DEMO_STAFF[0][1])
    if admin is None or not admin.totp_secret or not mfa.is_enrolled(admin):
        raise click.ClickException("the demo admin has no second step set up yet")
    click.echo(pyotp.TOTP(admin.totp_secret).now())


@demo.command("activity")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 92),
    help="How many days back the activity reaches.",
)
@click.option("--seed", type=int, default=None, help="The same seed makes the same week.")
@click.option(
    "--yes-this-is-not-production",
    "not_production",
    is_flag=True,
    help="Run on a database that is not the SQLite demo's (a scratch one only).",
)
@with_appcontext
def demo_activity(days: int, seed: int | None, not_production: bool) -> None:
    """Fictional requests, calls and emails over the past days, for the admin dashboard."""
    from intake.extensions import db
    from intake.services.ops import demo_activity as service

    if not (_is_demo() or not_production):
        raise click.ClickException(
            "this writes made-up requests into the database: it runs only in the one-machine "
            "demo (SQLite), or with --yes-this-is-not-production on a scratch database"
        )
    try:
        report = service.generate(db.session(), days, seed=seed)
    except service.NoAdvocate as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    emails = ", ".join(f"{count} {state}" for state, count in report.emails.items())
    click.echo(
        f"Demo activity over {days} days: {report.guides} guide requests, {report.callbacks} "
        f"callback requests, {report.calls} calls; emails: {emails or 'none'}."
    )


def _is_demo() -> bool:
    """The one-machine demo is the SQLite mode (``config.load_settings``)."""
    return bool(current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"))


def _load_demo() -> None:
    from intake.extensions import db
    from intake.services.directory import specialists as service

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
            for role, email, secret, key in staff:
                out.write(f"Demo {role}: {email} / {secret}\n")
                if key:
                    out.write(f"Demo {role} second step key: {key} (add it to an authenticator "
                              "app, or run .venv/bin/intake demo code)\n")  # fmt: skip
    # Printed once, as they are made: a run log kept from every later start (a terminal's
    # scrollback, a service manager's journal) must not hold the admin's password and key.
    if staff:
        click.echo(f"Demo staff sign-ins at /login (kept in {logins}):")
        click.echo(logins.read_text().rstrip())
    elif logins.exists():
        click.echo(f"Demo staff sign-ins at /login: see {logins}")


DEMO_STAFF = (
    ("admin", "admin@example.org", "Demo Admin", ()),
    ("advocate", "advocate@example.org", "Demo Advocate", ("es", "va")),
)


def _ensure_demo_staff(session: Session) -> list[tuple[str, str, str, str]]:
    """Demo sign-ins with passwords (and the admin's second-step key) made up on this machine."""
    from intake.models.base import utcnow
    from intake.services.staff import audit, auth, mfa

    created = []
    for role, email, name, skills in DEMO_STAFF:
        if auth.find_user(session, email) is None:
            password = secrets.token_urlsafe(15)
            user = auth.create_user(session, email, role, password, name=name, skills=skills)
            key = ""
            if mfa.required(user):
                key = mfa.new_secret()
                user.totp_secret, user.totp_enabled_at = key, utcnow()
            audit.record(session, "demo", "user.create", "user", user.id, {"role": role})
            created.append((role, email, password, key))
    return created
