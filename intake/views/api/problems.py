"""RFC 9457 problem details for the partner API: one shape for every error it answers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

PROBLEM_TYPE = "application/problem+json"
DOCS = "/api/docs"
# status -> (slug of its section in the API reference, title)
TITLES = {
    400: ("malformed-request", "The request could not be read"),
    401: ("unauthorized", "A valid API key is required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "The body is too large"),
    415: ("unsupported-media-type", "The body must be JSON"),
    422: ("validation-error", "The lead is not valid"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Something went wrong on our side"),
    503: ("unavailable", "Not saved: please retry"),
}
REUSED_KEY_SLUG = "idempotency-key-reused"


class Problem(Exception):
    """Raised anywhere in a partner API view; the blueprint answers it as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []
        self.slug, self.headers = slug, headers or {}


def json_response(payload: Any, status: int, mimetype: str = "application/json") -> Response:
    """JSON in the order we built it, never cached by a proxy."""
    response = Response(json.dumps(payload), status=status, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


def problem_response(problem: Problem) -> Response:
    """The problem document: type, title, status, detail, instance, and the field errors."""
    slug, title = TITLES.get(problem.status, TITLES[500])
    body = {
        "type": f"{DOCS}#{problem.slug or slug}",
        "title": title if problem.slug != REUSED_KEY_SLUG else "Idempotency-Key reused",
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
        "errors": problem.errors,
    }
    response = json_response(body, problem.status, PROBLEM_TYPE)
    response.headers.update(problem.headers)
    return response
