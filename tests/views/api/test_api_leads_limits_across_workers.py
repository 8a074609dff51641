"""A partner key's rate limit holds across gunicorn workers: the counts live in Redis.

One worker is kept busy on a request whose headers are half sent, so the next
requests must go to the other worker; then the held request is finished and
its worker answers with what is left of the same budget.  The access log's
pids show that both workers answered.
"""

from __future__ import annotations

import http.client
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.services.inbox import api_keys
from tests import gunicorn_server

pytestmark = pytest.mark.committed
PER_MINUTE = 5


@pytest.fixture
def access_log(tmp_path: Path) -> Path:
    return tmp_path / "access.log"


@pytest.fixture
def two_workers(committed_db, access_log) -> Iterator[str]:
    """gunicorn with 2 workers on the test database, partner limits low and counted in Redis."""
    with gunicorn_server.two_workers(
        access_log, PARTNER_API_RATE_LIMIT=f"{PER_MINUTE} per minute"
    ) as base:
        yield base


def _get(url: str, key: str) -> tuple[int, dict[str, str]]:
    """One request on a fresh connection (so either worker may answer)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as error:
        return int(error.code), dict(error.headers)


def _half_sent(url: str, key: str) -> socket.socket:
    """A request whose headers never end: the worker that accepts it waits on it, busy."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nConnection: close\r\n".encode()
    )
    return sock


def _finish(sock: socket.socket) -> tuple[int, dict[str, str]]:
    """End the held request's headers and read its answer."""
    with sock:
        sock.sendall(b"\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status, dict(response.getheaders())


def _answering_pids(access_log: Path, path: str) -> list[str]:
    """The pid of the worker that answered each request for ``path``, in the log's order."""
    lines = access_log.read_text(errors="replace").splitlines()
    return [m.group(1) for line in lines if (m := re.match(rf'<(\d+)> "GET {path}" ', line))]


def test_a_keys_budget_is_shared_by_both_workers(two_workers, committed_db, access_log):
    key = api_keys.create_key(committed_db, "Busy Partner", "cli").secret
    other = api_keys.create_key(committed_db, "Quiet Partner", "cli").secret
    committed_db.commit()
    path = f"/api/v1/leads/{uuid.uuid4()}/status"
    url = f"{two_workers}{path}"
    held = _half_sent(url, key)  # one worker takes it and waits for the rest
    answers = [_get(url, key) for _ in range(PER_MINUTE - 1)]  # so the other one answers
    answers.append(_finish(held))  # the first worker counts it now, last of the budget
    answers += [_get(url, key) for _ in range(3)]
    assert [status for status, _ in answers] == [404] * PER_MINUTE + [429] * 3
    assert [h["RateLimit-Remaining"] for _, h in answers[:PER_MINUTE]] == [
        str(n) for n in range(PER_MINUTE - 1, -1, -1)
    ]
    assert all(int(h["Retry-After"]) > 0 for _, h in answers[PER_MINUTE:])
    assert _get(url, other)[0] == 404  # another key has its own budget

    # a worker writes its access line just after the answer: wait for the last one
    deadline = time.monotonic() + 10
    while len(pids := _answering_pids(access_log, path)) < PER_MINUTE + 3 + 1:
        assert time.monotonic() < deadline, access_log.read_text()
        time.sleep(0.05)
    # the held request's worker answered none of the requests sent while it waited
    held_pid = pids[PER_MINUTE - 1]
    assert held_pid not in pids[: PER_MINUTE - 1] and len(set(pids)) == 2, pids
