"""Sign-in throttling holds across gunicorn workers: the counts live in Redis, not in a worker."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
from tests.views.conftest import _CSRF_RE

ROOT = Path(__file__).resolve().parents[2]
LIMITS_REDIS = "redis://127.0.0.1:6379/9"  # a database of its own, emptied before and after

pytestmark = pytest.mark.committed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_workers(committed_db) -> Iterator[str]:
    """gunicorn with 2 workers on the test database, rate limits on, counted in Redis."""
    store = redis.Redis.from_url(LIMITS_REDIS)
    store.flushdb()
    port = _free_port()
    env = {**os.environ, "REDIS_URL": LIMITS_REDIS, "RATELIMIT_ENABLED": "true"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--config", str(ROOT / "gunicorn.conf.py"), "intake:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def _attempt(base: str) -> int:
    """One wrong-password sign-in from a fresh browser (a new connection, any worker)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    match = _CSRF_RE.search(page)
    assert match, "no CSRF token on the sign-in page"
    data = urllib.parse.urlencode({
        "csrf_token": match.group(1), "email": "someone@staff.example.org",
        "password": "not the password at all",
    }).encode()  # fmt: skip
    try:
        with opener.open(base + "/login", data=data, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_wrong_passwords_are_counted_once_whichever_worker_answers(two_workers):
    failures = int(FAILURES_PER_ACCOUNT_AND_ADDRESS.split()[0])
    statuses = [_attempt(two_workers) for _ in range(failures + 3)]
    assert statuses[:failures] == [400] * failures
    assert statuses[failures:] == [429] * 3
