"""Sign-in throttling holds across gunicorn workers: the counts live in Redis, not in a worker."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
from tests import gunicorn_server
from tests.views.conftest import _CSRF_RE

pytestmark = pytest.mark.committed


@pytest.fixture
def two_workers(committed_db) -> Iterator[str]:
    """gunicorn with 2 workers on the test database, rate limits on, counted in Redis."""
    with gunicorn_server.two_workers() as base:
        yield base


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
