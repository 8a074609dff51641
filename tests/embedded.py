"""The one-command embedded mode as a new user starts it: ``db upgrade``, ``demo``, ``serve``.

No DATABASE_URL, REDIS_URL, keys or SMTP_HOST: SQLite, the embedded broker
and the local mailbox under a throw-away instance folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTAKE = str(Path(sys.executable).parent / "intake")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_environment(instance: Path) -> dict[str, str]:
    """The environment of a new user: nothing of ours set but a private instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    for name in ("CELERY_BROKER_URL", "SECRET_KEY", "DATA_ENCRYPTION_KEY", "RATELIMIT_ENABLED",
                 "SMTP_HOST", "SMTP_PORT"):  # fmt: skip
        env.pop(name, None)
    env.update(
        INTAKE_INSTANCE_PATH=str(instance), OUTBOX_RELAY_SECONDS="2", MAILBOX_PORT=str(free_port())
    )
    return env


@dataclass
class Embedded:
    """A running ``intake serve``: its address, instance folder and log."""

    base: str
    instance: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def demo_sign_in(self, role: str) -> tuple[str, str]:
        """The demo staff email and password ``intake demo`` printed."""
        for line in (self.instance / "demo-staff.txt").read_text().splitlines():
            if line.startswith(f"Demo {role}: "):
                email, password = line.removeprefix(f"Demo {role}: ").split(" / ")
                return email, password
        raise LookupError(role)

    def demo_second_step_code(self, role: str) -> str:
        """A current code for the demo account's second step (the key ``intake demo`` printed)."""
        import pyotp

        prefix = f"Demo {role} second step key: "
        for line in (self.instance / "demo-staff.txt").read_text().splitlines():
            if line.startswith(prefix):
                return pyotp.TOTP(line.removeprefix(prefix).split()[0]).now()
        raise LookupError(role)


def run_intake(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [INTAKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def holding_port(port: int) -> Iterator[None]:
    """Something listening on ``port`` meanwhile (another copy's mailbox, say).

    If something else already holds it, the port is just as taken: nothing to do.
    """
    sock = socket.socket()
    try:
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass  # it is held by someone else: still taken
        yield
    finally:
        sock.close()


@contextmanager
def embedded_service(folder: Path, default_mailbox_port: bool = False) -> Iterator[Embedded]:
    """Migrate, load the demo and serve, as the README's first command does.

    ``default_mailbox_port``: leave ``MAILBOX_PORT`` unset, as a new user does (2525).
    """
    env = embedded_environment(folder / "instance")
    if default_mailbox_port:
        env.pop("MAILBOX_PORT")
    run_intake(env, "db", "upgrade")
    run_intake(env, "demo")
    port = free_port()
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [INTAKE, "serve", "--port", str(port), "--web-workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    service = Embedded(f"http://127.0.0.1:{port}", folder / "instance", log_path, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "intake serve exited early"
            try:
                urllib.request.urlopen(service.base + "/healthz", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "intake serve did not answer within 60 s"
                time.sleep(0.3)
        yield service
    finally:
        process.terminate()
        process.wait(30)
