"""``intake serve``: web, worker and beat together on one machine (the embedded mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from intake.config import PROJECT_ROOT


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
# One web process with threads: rate limits without Redis are counted in its memory, so one
# process keeps one count (two workers would each allow the full limit).
@click.option("--web-workers", default=1, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, web_workers: int) -> None:
    """Run web, worker and beat together on this machine (the embedded mode)."""
    os.umask(0o077)  # every file the demo writes (mailbox, schedule, logs) is this user's alone
    env = {**os.environ, "INTAKE_DEMO": "1"}
    if os.geteuid() == 0:
        click.echo("  Note: running as root. Fine for this demo on your own machine; in production "
                   "run the service as its own unprivileged user.", err=True)  # fmt: skip
    python_bin = os.path.dirname(sys.executable)
    children = []
    if current_app.config["LOCAL_MAILBOX"]:  # no SMTP_HOST: keep outgoing mail for /admin/mailbox
        children.append(
            subprocess.Popen(  # noqa: S603
                [os.path.join(python_bin, "intake"), "mailbox", "serve"], env=env
            )
        )
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
            "--threads",
            "8",
            "--config",
            str(PROJECT_ROOT / "gunicorn.conf.py"),  # no IPs or query strings in the log
            "intake:create_app()",
        ],
        env=env,
    )
    click.secho(f"\n  Intake is running: http://{host}:{port}/\n", fg="green", bold=True)
    if current_app.config["LOCAL_MAILBOX"]:
        click.echo(
            f"  Emails are kept in the local mailbox: http://{host}:{port}/admin/mailbox "
            "(sign in as the demo admin)\n"
        )
    _supervise([web, worker, *children])


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
