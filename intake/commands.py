"""Commands of the ``intake`` group beyond Flask-Migrate's ``db``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def register(group: FlaskGroup) -> None:
    """Attach our commands to the ``intake`` group."""
    group.add_command(serve)
    group.add_command(demo)
    group.add_command(specialists)


@click.command()
@with_appcontext
def demo() -> None:
    """Load the fictional demo data (idempotent: running it twice changes nothing)."""
    from intake.extensions import db
    from intake.services import specialists as service

    report = service.load_demo(db.session)
    if not report.ok:
        raise click.ClickException("demo data is invalid: " + "; ".join(map(str, report.problems)))
    db.session.commit()
    click.echo(
        f"Demo specialists: {len(report.created)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged."
    )


@click.group()
def specialists() -> None:
    """Specialist listings: CSV import and export."""


@specialists.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change.")
@with_appcontext
def import_specialists(csv_file: click.utils.LazyFile, dry_run: bool) -> None:
    """Import listings from CSV; nothing is imported while any row has a problem."""
    from intake.extensions import db
    from intake.services import specialists as service

    report = service.import_csv(db.session, csv_file.read(), actor="cli", dry_run=dry_run)
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

    click.echo(service.export_csv(db.session), nl=False)


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
            "--access-logfile",
            "-",
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

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
