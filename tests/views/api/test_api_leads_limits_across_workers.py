"""A partner key's rate limit holds across gunicorn workers: the counts live in Redis."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from intake.services.inbox import api_keys
from tests import gunicorn_server

pytestmark = pytest.mark.committed
PER_MINUTE = 5


@pytest.fixture
def two_workers(committed_db) -> Iterator[str]:
    """gunicorn with 2 workers on the test database, partner limits low and counted in Redis."""
    with gunicorn_server.two_workers(PARTNER_API_RATE_LIMIT=f"{PER_MINUTE} per minute") as base:
        yield base


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
