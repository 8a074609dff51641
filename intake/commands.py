"""Commands of the ``intake`` group beyond Flask-Migrate's ``db``."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session

from intake.config import PROJECT_ROOT


def register(group: FlaskGroup) -> None:
    """Attach our commands to the ``intake`` group."""
    group.add_command(serve)
    group.add_command(demo)
    group.add_command(specialists)
    group.add_command(users)
    from intake.commands_match import match  # kept in its own module: `intake match`

    group.add_command(match)
    from intake.commands_submissions import submissions_group

    group.add_command(submissions_group)


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
    from intake.services import specialists as service

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
    from intake.services import specialists as service

    click.echo(service.export_csv(db.session()), nl=False)


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
    from intake.services import audit, auth

    password = _read_password()
    try:
        user = auth.create_user(db.session(), email, role, password, name, skills.split(","))
    except auth.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(db.session(), "cli", "user.create", "user", user.id, {"role": role})
    db.session.commit()
    click.echo(f"Created {role} account {user.email}.")


def _read_password() -> str:
    """Prompt twice without echo at a terminal; otherwise read one line (piped input)."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, web_workers: int) -> None:
    """Run web, worker and beat together on this machine (the embedded mode)."""
    env = dict(os.environ)
    python_bin = os.path.dirname(sys.executable)
    worker = subprocess.Popen(  # noqa: S603 (fixed argv, our own programs)
        [
            os.path.join(python_bin, "celery"),
            "-A",
            "worker",
            "worker",
            "--beat",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--schedule",
            os.path.join(current_app.instance_path, "celerybeat-schedule"),
        ],
        env=env,
    )
    web = subprocess.Popen(  # noqa: S603
        [
            os.path.join(python_bin, "gunicorn"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--config",
            str(PROJECT_ROOT / "gunicorn.conf.py"),  # no IPs or query strings in the log
            "intake:create_app()",
        ],
        env=env,
    )
    click.secho(f"\n  Intake is running: http://{host}:{port}/\n", fg="green", bold=True)
    _supervise([web, worker])


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop everything when any child exits or on Ctrl-C, so nothing is left running."""

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    def on_term(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
