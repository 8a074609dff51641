"""A body sent without Content-Length (``Transfer-Encoding: chunked``) meets the same limits.

Werkzeug stops reading such a stream at the limit and hands the view what it
read so far, so a 70 KiB lead was cut at 64 KiB and answered 400 "column
65537"; now a streamed body past the limit is a 413 wherever a body is read,
as a declared one is.  These requests go through the app's WSGI entry the way
a server hands them over (no ``CONTENT_LENGTH``, ``wsgi.input_terminated``).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from intake.services.inbox import api_keys
from intake.views.api.openapi_leads import EXAMPLE
from intake.views.errors import TOO_LARGE_MESSAGE
from tests.conftest import form_tokens

PROBLEM = "application/problem+json"
API_LIMIT = 64 * 1024
FORM_LIMIT = 2 * 1024 * 1024


class Chunks(io.RawIOBase):
    """A request body as a server reads it off a chunked stream: short reads, then b""."""

    def __init__(self, body: bytes, chunk: int = 8192) -> None:
        self._body, self._chunk = body, chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._chunk, len(self._body))
        buffer[:size] = self._body[:size]
        self._body = self._body[size:]
        return size


def streamed(app: Flask, path: str, body: bytes, content_type: str, **headers: str) -> Any:
    """POST ``body`` through the app's WSGI callable as a chunked request (no Content-Length)."""
    builder = EnvironBuilder(path=path, method="POST", headers=headers, content_type=content_type)
    environ = builder.get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({
        "wsgi.input": io.BufferedReader(Chunks(body)),
        "wsgi.input_terminated": True,  # gunicorn and werkzeug's server set it: they de-chunk
        "HTTP_TRANSFER_ENCODING": "chunked",
    })  # fmt: skip
    with app.app_context():  # a fresh context per request, as in production
        app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), dict(response_headers), b"".join(app_iter)


@pytest.fixture
def key(db_session: Any) -> str:
    return api_keys.create_key(db_session, "Lakeside Cancer Centre", "cli").secret


def _lead_of_size(size: int) -> bytes:
    """The documented example lead, padded with spaces (still valid JSON) to ``size`` bytes."""
    body = json.dumps(EXAMPLE).encode()
    return body + b" " * (size - len(body))


# the review's body (cut mid-string it was a 400 "column 65537"), and a lead padded with spaces
# (cut, it was still JSON: accepted, past the limit)
OVERSIZED = [b'{"note": "' + b"x" * (70 * 1024) + b'"}', _lead_of_size(70 * 1024)]


@pytest.mark.parametrize("oversized", OVERSIZED, ids=["cut-mid-string", "padded"])
def test_a_streamed_lead_over_64_kib_is_413_problem_json(app, db_session, key, oversized):
    status, headers, body = streamed(
        app, "/api/v1/leads", oversized, "application/json", Authorization=f"Bearer {key}"
    )
    assert status == 413, body[:300]
    assert headers["Content-Type"] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["detail"] == "A lead is at most 64 KiB of JSON."


@pytest.mark.parametrize("extra", [1, 4096, 3 * API_LIMIT])
def test_a_streamed_lead_just_past_the_limit_is_413_too(app, db_session, key, extra):
    status, _headers, body = streamed(
        app, "/api/v1/leads", _lead_of_size(API_LIMIT + extra), "application/json",
        Authorization=f"Bearer {key}",
    )  # fmt: skip
    assert status == 413, body[:300]


def test_a_streamed_lead_of_exactly_64_kib_is_read_whole(app, db_session, key):
    status, _headers, body = streamed(
        app, "/api/v1/leads", _lead_of_size(API_LIMIT), "application/json",
        Authorization=f"Bearer {key}",
    )  # fmt: skip
    assert status in (201, 202), body[:300]


@pytest.mark.parametrize("path", ["/guide", "/callback"])
def test_a_streamed_form_over_the_limit_is_the_friendly_413(app, client, db_session, path):
    tokens = form_tokens(client, path)
    cookie = client.get_cookie("session")
    assert cookie is not None
    body = f"csrf_token={tokens['csrf_token']}&first_name=".encode() + b"x" * FORM_LIMIT
    status, _headers, page = streamed(
        app, path, body, "application/x-www-form-urlencoded",
        Cookie=f"session={cookie.value}",
    )  # fmt: skip
    html = page.decode()
    assert status == 413, html[:500]
    assert TOO_LARGE_MESSAGE in html.replace("&#39;", "'")


def _chunked_post(
    base: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str, bytes]:
    """POST over a real socket with ``Transfer-Encoding: chunked`` (no Content-Length)."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=20)
    chunks = (body[start : start + 4096] for start in range(0, len(body), 4096))
    connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
    response = connection.getresponse()
    answer = (response.status, response.getheader("Content-Type") or "", response.read())
    connection.close()
    return answer


@pytest.mark.committed
def test_through_gunicorn_a_streamed_lead_over_64_kib_is_413(committed_db):
    from tests import gunicorn_server

    key = api_keys.create_key(committed_db, "Lakeside Cancer Centre", "cli").secret
    committed_db.commit()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with gunicorn_server.two_workers() as base:
        status, kind, body = _chunked_post(base, "/api/v1/leads", _lead_of_size(70 * 1024), headers)
        assert status == 413, body[:300]
        assert kind == PROBLEM and json.loads(body)["status"] == 413
        status, _kind, body = _chunked_post(
            base, "/api/v1/leads", _lead_of_size(API_LIMIT), headers
        )
        assert status in (201, 202), body[:300]
