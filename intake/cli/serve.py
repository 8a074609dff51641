"""``intake serve``: web, worker and beat together on one machine (the embedded mode).

Before anything starts, the ports are checked: a web port in use stops it
with one line; the local mailbox moves to a free port when its default is
taken (a second copy running, say), and says so; a ``MAILBOX_PORT`` someone
set must be free.  Links in emails follow the port served on unless
``PUBLIC_BASE_URL`` is set, so the demo's links reach this copy.
"""

from __future__ import annotations

import os
import signal
import socket
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
    if not port_free(host, port):
        raise click.ClickException(
            f"Port {port} on {host} is in use (another copy of Intake?): stop it, "
            "or choose another port with --port."
        )
    local = public_base_url(None, host, port)
    public = public_base_url(os.environ.get("PUBLIC_BASE_URL"), host, port)
    env = {**os.environ, "INTAKE_DEMO": "1", "PUBLIC_BASE_URL": public}
    mailbox_port = None
    if current_app.config["LOCAL_MAILBOX"]:  # no SMTP_HOST: keep outgoing mail for /admin/mailbox
        mailbox_port = _mailbox_port(int(current_app.config["MAILBOX_PORT"]))
        env["MAILBOX_PORT"] = str(mailbox_port)  # where the worker sends
    if os.geteuid() == 0:
        click.echo("  Note: running as root. Fine for this demo on your own machine; in production "
                   "run the service as its own unprivileged user.", err=True)  # fmt: skip
    children: list[subprocess.Popen[bytes]] = []

    def on_term(*_: object) -> None:
        _stop(children)
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    servers = _start_all(children, env, (host, port, web_workers), mailbox_port)
    if not _wait_until_listening(servers, children):
        raise click.ClickException("Intake stopped while starting: the reason is just above.")
    click.secho(f"\n  Intake is running: {local}/\n", fg="green", bold=True)
    if mailbox_port is not None:
        click.echo(
            f"  Emails are kept in the local mailbox: {local}/admin/mailbox "
            "(sign in as the demo admin)\n"
        )
    _supervise(children)


Server = tuple[subprocess.Popen[bytes], str, int]  # a child and the address it listens on


def _start_all(
    children: list[subprocess.Popen[bytes]],
    env: dict[str, str],
    web: tuple[str, int, int],
    mailbox_port: int | None,
) -> list[Server]:
    """Start the mailbox (if any), the worker with beat, and gunicorn; those that listen."""
    host, port, web_workers = web
    servers = []
    if mailbox_port is not None:
        children.append(_start(["intake", "mailbox", "serve"], env))
        servers.append((children[-1], "127.0.0.1", mailbox_port))
    children.append(_start(_worker_command(), env))
    children.append(_start(_web_command(host, port, web_workers), env))
    servers.append((children[-1], host, port))
    return servers


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """One of our own programs from this virtualenv's bin folder."""
    program = os.path.join(os.path.dirname(sys.executable), command[0])
    return subprocess.Popen([program, *command[1:]], env=env)  # noqa: S603 (fixed argv, ours)


def _worker_command() -> list[str]:
    schedule = os.path.join(current_app.instance_path, "celerybeat-schedule")
    return ["celery", "-A", "worker", "worker", "--beat", "--pool", "threads",
            "--concurrency", "2", "--loglevel", "INFO", "--schedule", schedule]  # fmt: skip


def _web_command(host: str, port: int, web_workers: int) -> list[str]:
    return [
        "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers), "--threads", "8",
        "--config", str(PROJECT_ROOT / "gunicorn.conf.py"),  # no IPs or query strings in the log
        "intake:create_app()",
    ]  # fmt: skip


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on this address now (as gunicorn and aiosmtpd bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def public_base_url(configured: str | None, host: str, port: int) -> str:
    """``PUBLIC_BASE_URL`` if set, else this server's own address: links must reach it."""
    if configured and configured.strip():
        return configured.strip().rstrip("/")
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 (a comparison)
    shown = "[::1]" if shown == "::" else (f"[{shown}]" if ":" in shown else shown)
    return f"http://{shown}:{port}"


def _mailbox_port(configured: int) -> int:
    """The local mailbox's port: the configured one, or the next free one if the default is taken.

    A port someone set on purpose is never changed behind their back: it stops
    the start instead, with what to do.
    """
    if port_free("127.0.0.1", configured):
        return configured
    if (os.environ.get("MAILBOX_PORT") or "").strip():
        raise click.ClickException(
            f"The local mailbox's port {configured} (MAILBOX_PORT) is in use: stop what holds "
            "it, or set MAILBOX_PORT to a free port."
        )
    nearby = (n for n in range(configured + 1, configured + 100) if port_free("127.0.0.1", n))
    chosen = next(nearby, None) or _any_free_port()
    click.echo(
        f"  Port {configured} is in use (another copy of Intake?): the local mailbox listens "
        f"on port {chosen} instead."
    )
    return chosen


def _any_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_until_listening(servers: list[Server], children: list[subprocess.Popen[bytes]]) -> bool:
    """Wait for each server to accept connections; False (everything stopped) if one exits first.

    So "Intake is running" is only said once it is true.
    """
    connect_host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104
    pending = list(servers)
    try:
        while pending:
            if any(child.poll() is not None for child in children):
                _stop(children)
                return False
            pending = [
                (process, host, port)
                for process, host, port in pending
                if not _listening(connect_host.get(host, host), port)
            ]
            if pending:
                time.sleep(0.3)
    except KeyboardInterrupt:
        _stop(children)
        raise
    return True


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask every child to stop, and kill those still running ten seconds later."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def _supervise(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop everything when any child exits or on Ctrl-C, so nothing is left running."""
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)
