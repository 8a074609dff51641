"""``intake users``: staff accounts, with the password read from standard input."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group()
def users() -> None:
    """Staff accounts (advocates and admins)."""


@users.command("create")
@click.option("--email", required=True, help="Work email, used to sign in.")
@click.option("--role", required=True, type=click.Choice(["advocate", "admin"]))
@click.option("--name", default=None, help="Full name shown to colleagues.")
@click.option("--skills", default="", help="Comma-separated language codes and/or va, e.g. es,va.")
@with_appcontext
def create_user(email: str, role: str, name: str | None, skills: str) -> None:
    """Create a staff account; the password comes from standard input, never an argument."""
    from intake.extensions import db
    from intake.services.staff import audit, auth

    password = _read_password()
    try:
        user = auth.create_user(db.session(), email, role, password, name, skills.split(","))
    except auth.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(db.session(), "cli", "user.create", "user", user.id, {"role": role})
    db.session.commit()
    click.echo(f"Created {role} account {user.email}.")


@users.command("reset-second-step")
@click.option("--email", required=True, help="The admin who lost their authenticator app.")
@with_appcontext
def reset_second_step(email: str) -> None:
    """Forget an admin's second step; they set it up again at their next sign-in."""
    from intake.extensions import db
    from intake.services.staff import audit, auth, mfa, staff_sessions

    user = auth.find_user(db.session(), email)
    if user is None:
        raise click.ClickException(f"no staff account {email!r}")
    mfa.reset(user)
    staff_sessions.end_all_for(db.session(), user.id, "mfa_reset")
    audit.record(db.session(), "cli", "mfa.reset", "user", user.id, {})
    db.session.commit()
    click.echo(f"{user.email} sets up a new second step at their next sign-in.")


def _read_password() -> str:
    """Prompt twice without echo at a terminal; otherwise read one line (piped input)."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")
