"""A partner key's rate limit holds across gunicorn workers: the counts live in Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from intake.services import api_keys
from tests.views.test_limits_across_workers import LIMITS_REDIS, ROOT, _free_port

pytestmark = pytest.mark.committed
PER_MINUTE = 5


@pytest.fixture
def two_workers(committed_db) -> Iterator[str]:
    """gunicorn with 2 workers on the test database, partner limits low and counted in Redis."""
    store = redis.Redis.from_url(LIMITS_REDIS)
    store.flushdb()
    port = _free_port()
    env = {**os.environ, "REDIS_URL": LIMITS_REDIS, "RATELIMIT_ENABLED": "true",
           "PARTNER_API_RATE_LIMIT": f"{PER_MINUTE} per minute"}  # fmt: skip
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


def _get(url: str, key: str) -> tuple[int, dict[str, str]]:
    """One request on a fresh connection (so either worker may answer)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as error:
        return int(error.code), dict(error.headers)


def test_a_keys_budget_is_shared_by_both_workers(two_workers, committed_db):
    key = api_keys.create_key(committed_db, "Busy Partner", "cli").secret
    other = api_keys.create_key(committed_db, "Quiet Partner", "cli").secret
    committed_db.commit()
    url = f"{two_workers}/api/v1/leads/{uuid.uuid4()}/status"
    answers = [_get(url, key) for _ in range(PER_MINUTE + 3)]
    assert [status for status, _ in answers] == [404] * PER_MINUTE + [429] * 3
    assert [h["RateLimit-Remaining"] for _, h in answers[:PER_MINUTE]] == [
        str(n) for n in range(PER_MINUTE - 1, -1, -1)
    ]
    assert all(int(h["Retry-After"]) > 0 for _, h in answers[PER_MINUTE:])
    assert _get(url, other)[0] == 404  # another key has its own budget
