"""The service's processes on loopback, for the benches that break them (faults.py, chaos.py).

What an operator runs, started as a supervisor would: gunicorn (2 workers),
Celery workers (prefork), beat, and a throw-away ``redis-server`` with no
persistence on a spare port, all on a fresh PostgreSQL database with the
demo listings.  Each process is its own process group, so a SIGKILL takes
its children with it, as a machine or container losing it would.  The
helpers kill, stop and restart one process, and wait until the service
has nothing left to do.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.scratch import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Service:
    """One supervised process of the run (its own process group, killed whole)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        """A signal to the main process only (Celery's shutdown signals), if it runs."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        """Whether the process ended within ``timeout`` seconds."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self) -> None:
        """SIGKILL the whole group: no acknowledgement, no clean-up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # it died on its own
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            if not self.wait(20):
                self.kill()
        self.kill()  # the group's leftovers (a pool child whose parent was killed)


def admin(sql: str, url: str = ADMIN_URL) -> None:
    """One statement outside any transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def count(url: str, sql: str) -> int:
    """One number from the run's database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0


class Cluster:
    """The service's processes on loopback, on a fresh database and a throw-away Redis.

    ``workers`` Celery worker processes (each a prefork main process with
    ``concurrency`` children), named worker1, worker2, ..., each with its
    ``queues`` options if given (``["--queues", "email"]``: a mailer; none:
    both queues); ``settings`` go into every process's environment on top of
    the bench defaults.
    """

    def __init__(
        self,
        workdir: Path,
        settings: dict[str, str] | None = None,
        workers: int = 1,
        concurrency: int = 2,
        prefix: str = "intake_cluster",
        queues: list[list[str]] | None = None,
    ) -> None:
        self.workdir = workdir
        self.database = f"{prefix}_{os.getpid()}"
        self.redis_port, self.web_port = free_port(), free_port()
        self.database_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{self.database}"
        broker = f"redis://127.0.0.1:{self.redis_port}/0"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "INTAKE_INSTANCE_PATH": str(workdir / "instance"),
            "GUIDE_CACHE_DIR": str(workdir / "guide-cache"),
            "RATELIMIT_ENABLED": "false",  # many clients on one address would hit the form limits
            "OUTBOX_PUBLISH_AFTER_COMMIT": "true",
            # the console scripts (intake, celery) put only their own folder on the path: with
            # the package installed editable from another checkout, that one's code would run
            "PYTHONPATH": str(ROOT),
            **(settings or {}),
        }
        redis = shutil.which("redis-server") or "redis-server"
        self.redis = Service(
            "redis",
            [redis, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            self.env, workdir,
        )  # fmt: skip
        self.web = Service(
            "web",
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
             "--config", str(ROOT / "gunicorn.conf.py"), "intake:create_app()"],
            self.env, workdir,
        )  # fmt: skip
        self.workers = [
            Service(
                f"worker{n}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "worker",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    str(concurrency),
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"worker{n}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    *(queues[n - 1] if queues else []),
                ],
                self.env,
                workdir,
            )  # fmt: skip
            for n in range(1, workers + 1)
        ]
        self.beat = Service(
            "beat",
            [str(BIN / "celery"), "-A", "worker", "beat", "--loglevel", "INFO",
             "--schedule", str(workdir / "beat-schedule")],
            self.env, workdir,
        )  # fmt: skip

    @property
    def services(self) -> list[Service]:
        return [self.web, self.beat, *self.workers, self.redis]

    def up(self, extra: list[Service] | None = None) -> None:
        """A fresh database (migrated, demo listings), then every process; until the web answers."""
        admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{self.database}"')
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run(  # noqa: S603
                [str(BIN / "intake"), *command], cwd=ROOT, env=self.env, check=True,
                capture_output=True,
            )  # fmt: skip
        self.redis.start()
        wait_for_port(self.redis_port)
        for service in [*(extra or []), self.web, *self.workers, self.beat]:
            service.start()
        wait_for_port(self.web_port, timeout=60)

    def down(self, extra: list[Service] | None = None) -> None:
        for service in [self.web, self.beat, *self.workers, *(extra or []), self.redis]:
            service.stop()
        admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    @property
    def sql_url(self) -> str:
        """The database's URL as psycopg takes it."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://")

    def count(self, sql: str) -> int:
        return count(self.sql_url, sql)

    def restart(self, service: Service, delay: float = 1.0) -> None:
        """SIGKILL ``service`` and start it again after ``delay`` (a supervisor's restart)."""
        service.kill()
        time.sleep(delay)
        service.start()

    def keep_beat(self, note: Callable[[str], None]) -> None:
        """Beat restarted if it ever exited, as a supervisor would (and said)."""
        if self.beat.process and self.beat.process.poll() is not None:
            self.beat.start()
            note("beat exited and was restarted")

    def drain(
        self, left_sql: str, timeout: float, note: Callable[[str], None] = lambda _: None
    ) -> float | None:
        """Seconds until ``left_sql`` counts 0 (waiting at most ``timeout``), or None."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            self.keep_beat(note)
            for worker in self.workers:
                if not worker.alive():  # a worker that died of a fault nobody restarted
                    worker.start()
                    note(f"{worker.name} was down and was restarted")
            try:
                if self.count(left_sql) == 0:
                    return time.monotonic() - started
            except Exception:  # noqa: BLE001 (the database itself is busy: ask again)
                pass
            time.sleep(1.0)
        return None
