"""A real Celery worker thread and a throw-away Redis server for the worker tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from flask import Flask

from intake import create_app, tasking
from intake.extensions import db
from tests.conftest import kept_logging

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_worker(flask_app: Any) -> Iterator[Any]:
    """Run the app's Celery worker in a thread of this process, consuming from its broker.

    The root logger keeps its level and handlers (pytest's capture among them), so
    the test hears the application's log lines, the worker's included.
    """
    celery = flask_app.extensions["celery"]
    celery.loader.import_default_modules()
    with celery.connection_for_write() as conn:
        for queue in (tasking.DEFAULT_QUEUE, tasking.EMAIL_QUEUE):
            conn.default_channel.queue_purge(queue)
    with (
        kept_logging(handlers_on_exit=False) as restore,
        start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=20) as worker,
    ):
        restore()  # start_worker just silenced the root logger and dropped its handlers
        yield worker


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll until ``check()`` is truthy; fail with a message naming what we waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A real redis-server on its own port, which a test can stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (Debian package redis-server)"
        self.process = subprocess.Popen(  # noqa: S603
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: Redis keeps nothing on disk here, so it comes back empty."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def spare_redis() -> Iterator[RedisServer]:
    """A Redis on a free port, NOT started: the test decides when it is up."""
    server = RedisServer(free_port())
    yield server
    server.stop()


CELERY = str(Path(sys.executable).parent / "celery")


class WorkerProcess:
    """A real ``celery -A worker worker`` (prefork, as in production) that a test can SIGKILL.

    It runs in its own session, so killing its process group takes the pool's
    children too, as a container or machine going away would.
    """

    def __init__(self, env: dict[str, str], log_path: Path, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.log_path = log_path
        self.args = args  # more of the worker's options (``--queues email``)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(  # noqa: S603
                [
                    CELERY,
                    "-A",
                    "worker",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                    *self.args,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no ack, no cleanup, nothing said to the broker."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """A warm shutdown: the worker finishes what it is running, then exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def worker_env(broker_url: str, **settings: str) -> dict[str, str]:
    """The environment of a worker process on the test database and the given broker.

    Without the start-up warm-up: these tests time a worker's start against a 2 s
    re-publish (tests/worker/test_warmup.py covers the warm-up itself).
    """
    env = dict(os.environ)  # tests/conftest.py put the test database and keys there
    env.update(CELERY_BROKER_URL=broker_url, REDIS_URL=broker_url, WORKER_WARM_UP="false")
    env.update(settings)
    return env


@pytest.fixture
def worker_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes; every one is stopped after the test."""
    started: list[WorkerProcess] = []

    def start(env: dict[str, str], *args: str) -> WorkerProcess:
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log", args)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


class RabbitVhost:
    """A throw-away virtual host on the machine's RabbitMQ, so a test never touches real queues."""

    def __init__(self) -> None:
        self.name = f"intake-test-{os.getpid()}-{free_port()}"
        self.url = f"amqp://guest:guest@127.0.0.1:5672/{self.name}"

    def __enter__(self) -> RabbitVhost:
        ctl = shutil.which("rabbitmqctl")
        assert ctl, "rabbitmqctl is not installed (Debian package rabbitmq-server)"
        subprocess.run([ctl, "add_vhost", self.name], check=True, capture_output=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [ctl, "set_permissions", "-p", self.name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
        return self

    def __exit__(self, *_: object) -> None:
        ctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
        subprocess.run([ctl, "delete_vhost", self.name], capture_output=True)  # noqa: S603


@pytest.fixture
def rabbit_vhost() -> Iterator[RabbitVhost]:
    with RabbitVhost() as vhost:
        yield vhost


REPUBLISH = 2.0  # seconds: how soon tests re-publish a lost job (production uses 60)


@pytest.fixture
def broker_app(app: Flask) -> Iterator[Any]:
    """Build an app on a given broker (the test's own Redis or RabbitMQ vhost)."""
    made: list[Flask] = []

    def build(broker_url: str, **config: Any) -> Flask:
        other = create_app(
            {
                "TESTING": True,
                "CELERY_BROKER_URL": broker_url,
                "OUTBOX_REPUBLISH_SECONDS": REPUBLISH,
                **config,
            }
        )
        made.append(other)
        return other

    yield build
    for other in made:
        transport = other.extensions.pop("mail_transport", None)
        if transport is not None:
            transport.close()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    app.extensions["celery"].set_default()


def relay(flask_app: Flask) -> int:
    """One sweep, as beat runs it: publish every due row."""
    with flask_app.app_context():
        total = 0
        while True:
            result = tasking.relay_batch(db.session())
            total += result.published
            if result.broker_failed or not result.published:
                return total


def drain(flask_app: Flask, check: Any, timeout: float) -> Any:
    """Relay as beat does (often, here) until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        relay(flask_app)
        value = check()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"not drained within {timeout:.0f} s")
