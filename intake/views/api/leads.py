"""The partner API's write side: ``POST /api/v1/leads`` and ``GET /api/v1/leads/<id>/status``.

Authenticated by a partner's API key (``Authorization: Bearer ...``) and
never by a cookie, so these routes are the documented exception to CSRF.
Every answer other than a success is ``application/problem+json``
(``views/api/problems.py``); no input makes a 500.
"""

from __future__ import annotations

import json
import logging
import re
from contextlib import ExitStack
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy.engine import Connection
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, TooManyRequests

from intake import extensions
from intake.extensions import csrf, limiter
from intake.forms.partner_lead import IDEMPOTENCY_KEY_MAX, LeadInvalid, parse_lead
from intake.logsafe import describe_failure
from intake.lru import Lru
from intake.services.inbox import api_keys, lead_status, partner_leads
from intake.services.inbox.api_keys import Caller
from intake.tasking import announce_after_commit
from intake.views.api.problems import REUSED_KEY_SLUG, Problem, json_response, problem_response

bp = Blueprint("api_leads", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
DEFAULT_RATE_LIMIT = "300 per minute"
_IDEMPOTENCY_KEY_RE = re.compile(rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_KEY_PROBLEMS = {
    "missing": "Send your API key as 'Authorization: Bearer <key>'.",
    api_keys.MALFORMED: "The Authorization header is not 'Bearer <key>' with a key we issue "
    "(mik_ followed by its prefix and secret).",
    api_keys.UNKNOWN: "This API key is not one of ours: check it was copied whole.",
    api_keys.REVOKED: "This API key was revoked: ask us for a new one.",
}


def connection() -> Connection:
    """One pooled connection for the request (autocommitted statements), closed at its end."""
    if "partner_api_stack" not in g:
        g.partner_api_stack = ExitStack()
        g.partner_api_connection = g.partner_api_stack.enter_context(
            extensions.autocommit_connection()
        )
    return g.partner_api_connection  # type: ignore[no-any-return]


@bp.teardown_request
def _close_connection(_error: BaseException | None) -> None:
    stack = g.pop("partner_api_stack", None)
    if stack is not None:
        stack.close()


# Keys this process has recognised: digest -> Caller.  A lead's write checks the key is
# live in its own statement (``services/inbox/partner_leads.py``), so a remembered key costs
# no look-up and a revoked one still writes nothing; reads look the key up each time.
_known_keys: Lru[str, Caller] = Lru(1024)


def current_caller(fresh: bool = False) -> Caller | str:
    """The partner whose key this request carries, or why there is none (once per request).

    A key this process recognised before is taken from memory unless
    ``fresh`` (a read of lead data, which has no write to check the key).
    """
    if "partner_caller" not in g or (fresh and g.get("partner_caller_remembered")):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        g.partner_caller_remembered = False
        if not header:
            g.partner_caller = "missing"
        elif scheme.lower() != "bearer" or not token:
            g.partner_caller = api_keys.MALFORMED
        else:
            digest = api_keys.digest(token)
            found, known = (False, None) if fresh else _known_keys.get(digest)
            if found:
                g.partner_caller, g.partner_caller_remembered = known, True
            else:
                g.partner_caller = api_keys.authenticate(connection(), token)
                if isinstance(g.partner_caller, Caller):
                    _known_keys.put(digest, g.partner_caller)
                else:
                    _known_keys.discard(digest)
    return g.partner_caller  # type: ignore[no-any-return]


def _forget_key() -> None:
    """The key was revoked since this process recognised it: look it up from now on."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    _known_keys.discard(api_keys.digest(token))


def require_partner_key() -> ResponseReturnValue | None:
    """The access policy's check for the partner audience: a live key, or a 401 problem."""
    caller = current_caller()
    return None if isinstance(caller, Caller) else _key_refused(caller)


def _key_refused(why: str) -> Response:
    """The 401 problem for a request without a live key, saying what is wrong with it."""
    error = "invalid_request" if why in ("missing", api_keys.MALFORMED) else "invalid_token"
    challenge = 'Bearer realm="partner API"' + ("" if why == "missing" else f', error="{error}"')
    return problem_response(
        Problem(401, _KEY_PROBLEMS[why], headers={"WWW-Authenticate": challenge})
    )


def _refused_now() -> Response:
    """The 401 for a key revoked since this process recognised it (looked up afresh)."""
    why = current_caller(fresh=True)
    return _key_refused(why if isinstance(why, str) else api_keys.REVOKED)


def _caller() -> Caller:
    caller = current_caller()
    assert isinstance(caller, Caller), "the access policy lets only partner keys in"
    return caller


def rate_limit_key() -> str:
    """Each key has its own budget; requests without a valid key share their address's."""
    caller = current_caller()
    if isinstance(caller, Caller):
        return f"partner-key:{caller.key_id}"
    return f"partner-address:{request.remote_addr}"


def rate_limit() -> str:
    return str(current_app.config.get("PARTNER_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)


partner_limit = limiter.shared_limit(rate_limit, scope="partner-api", key_func=rate_limit_key)


@bp.post("/leads")
@partner_limit
def create_lead() -> ResponseReturnValue:
    """Accept a guide and/or callback request into the inbox, once per body and per key."""
    caller = _caller()
    idempotency_key = _idempotency_key()
    body = _read_json()
    try:
        lead = parse_lead(body)
    except LeadInvalid as invalid:
        raise Problem(422, "Some fields need fixing: see errors.", invalid.problems) from None
    body_hash = partner_leads.fingerprint(caller, body)
    try:
        answer = partner_leads.receive_lead(
            connection(), caller, lead, body_hash, idempotency_key,
            transaction=lambda: extensions.transaction_on(connection()),
        )  # fmt: skip
    except api_keys.KeyRevoked:
        _forget_key()
        return _refused_now()
    except partner_leads.KeyReused:
        raise Problem(
            422,
            "This Idempotency-Key was used in the last 24 hours for a different "
            "body. Use a new key for a new lead.",
            slug=REUSED_KEY_SLUG,
        ) from None
    except Exception as exc:  # nothing half-answered: the partner retries with the same key
        log.error(
            "could not save a partner lead (partner %s): %s",
            caller.partner_id,
            describe_failure(exc),
        )
        raise Problem(
            503,
            "The lead was not saved. Retry with the same Idempotency-Key.",
            headers={"Retry-After": "5"},
        ) from None
    for submission_id in answer.new_submissions:
        announce_after_commit(submission_id)
    response = json_response(answer.body, answer.status)
    response.headers["Location"] = answer.body["status_url"]
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/leads/<lead_id>/status")
@partner_limit
def lead_status_page(lead_id: str) -> ResponseReturnValue:
    """Where a lead this partner sent has got to (404 for any other lead, so ids do not leak)."""
    if not isinstance(current_caller(fresh=True), Caller):  # revoked since it was remembered
        return _refused_now()
    caller = _caller()
    document = None
    if _UUID_RE.match(lead_id):
        document = lead_status.lead_status(connection(), caller.partner_id, lead_id)
    if document is None:
        raise Problem(404, "No lead with this id was sent with your API key.")
    return json_response(document, 200)


def _idempotency_key() -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY_RE.match(value):
        raise Problem(
            400,
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID.",
            [{"field": "Idempotency-Key", "message": "1 to 255 visible ASCII characters."}],
        )
    return value


def _read_json() -> Any:
    """The body as JSON: UTF-8, at most ``MAX_BODY_BYTES``, no NaN or Infinity."""
    if request.mimetype != "application/json":
        raise Problem(415, "Send the lead as JSON with 'Content-Type: application/json'.")
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=False)  # raises RequestEntityTooLarge past the limit
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise Problem(400, "The body is not valid UTF-8.") from None
    except RecursionError:
        raise Problem(400, "The body is nested too deeply to be a lead.") from None
    except json.JSONDecodeError as exc:
        raise Problem(
            400, f"The body is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
        ) from None
    except ValueError:  # NaN or Infinity, an integer too long to read
        raise Problem(
            400, "The body is not valid JSON (no NaN, Infinity or huge numbers)."
        ) from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@bp.errorhandler(Problem)
def _problem(problem: Problem) -> Response:
    return _revoked_since() or problem_response(problem)


def _revoked_since() -> Response | None:
    """A refused request whose key came from memory: the 401 if it was revoked since.

    A write checks the key in its own statement; a request refused before
    any write (a bad body, too large, too many) is checked here, so a
    revoked key never hears more than its 401.
    """
    if not g.get("partner_caller_remembered"):
        return None
    if isinstance(current_caller(fresh=True), Caller):
        return None
    _forget_key()
    return _refused_now()


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """413, 429, 405 and friends as problem details."""
    code = error.code or 500
    detail = error.description or error.name
    headers: dict[str, str] = {}
    if isinstance(error, RequestEntityTooLarge):
        detail = f"A lead is at most {MAX_BODY_BYTES // 1024} KiB of JSON."
    if isinstance(error, TooManyRequests):
        detail = f"This API key is limited to {rate_limit()}. Wait for Retry-After seconds."
        headers["Retry-After"] = str(_seconds_to_reset() or 1)
    return _revoked_since() or problem_response(Problem(code, detail, headers=headers))


@bp.errorhandler(Exception)
def _unexpected_error(error: Exception) -> Response:
    """A bug must still answer in the API's shape, without a stack trace."""
    log.error("unhandled error on %s %s: %s", request.method, request.path, describe_failure(error))
    return problem_response(Problem(500, "Please retry later; the lead may not be saved."))


def _seconds_to_reset() -> int | None:
    import time

    current = limiter.current_limit
    return None if current is None else max(0, int(current.reset_at - time.time()) + 1)


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    """The IETF RateLimit fields beside Flask-Limiter's X-RateLimit-* ones."""
    current = limiter.current_limit
    if current is not None:
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(current.remaining)
        response.headers["RateLimit-Reset"] = str(_seconds_to_reset())
    return response
