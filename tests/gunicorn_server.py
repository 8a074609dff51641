"""A real gunicorn with two workers on the test database, for limits that must hold across them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
LIMITS_REDIS = "redis://127.0.0.1:6379/9"  # a database of its own, emptied before and after


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# the access line with the answering worker's pid first, for tests that check who answered
PID_ACCESS_FORMAT = '%(p)s "%(m)s %(U)s" %(s)s'


@contextlib.contextmanager
def two_workers(access_log: Path | None = None, **settings: str) -> Iterator[str]:
    """gunicorn, 2 workers, rate limits on and counted in Redis, plus ``settings``: its base URL.

    With ``access_log``, the access lines (``PID_ACCESS_FORMAT``) are written to that file.
    """
    store = redis.Redis.from_url(LIMITS_REDIS)
    store.flushdb()
    port = free_port()
    env = {**os.environ, "REDIS_URL": LIMITS_REDIS, "RATELIMIT_ENABLED": "true", **settings}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    logging = ["--access-logformat", PID_ACCESS_FORMAT] if access_log else []
    with access_log.open("ab") if access_log else open(os.devnull, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--config", str(ROOT / "gunicorn.conf.py"), *logging, "intake:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(20)
        store.flushdb()
