"""What a bench run owns alone: its database's name, its ports, its own Redis.

Benches run beside each other and beside the test suite (which runs every
bench's ``--smoke`` mode): two engineers' suites at once run the same bench
at once.  A fixed database name would let one run drop the other's
database, a fixed port would send one run's load to the other's server, and
a shared Redis would let one run's Celery worker take the other's jobs (ids
in another database) while that run waits for them until it times out.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def database_name(prefix: str) -> str:
    """A scratch database name no other process uses at the same time."""
    return f"{prefix}_{os.getpid()}"


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on ``port``; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[None]:
    """A ``redis-server`` of this run's own on ``port``, no persistence, stopped afterwards."""
    binary = shutil.which("redis-server") or "redis-server"
    server = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def run_in_threads(target: Callable[[], None], count: int) -> None:
    """``count`` threads running ``target`` (clients taking work from one queue), all joined."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
