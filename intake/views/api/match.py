"""JSON API for partner sites and scripts, described by /api/v1/openapi.json."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from intake import translator
from intake.extensions import csrf, db, limiter
from intake.forms import match as match_form
from intake.logsafe import describe_failure
from intake.matching.types import QueryError
from intake.services.directory import match_query
from intake.views.api import openapi

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
log = logging.getLogger(__name__)

API_RATE_LIMIT = "120 per minute"
# The engine calls the flag telehealth_ok; the API's parameter is telehealth.
_FIELD_NAMES = {"telehealth_ok": "telehealth"}


def _json(payload: Any, status: int = 200) -> Response:
    """JSON in the order we built it (jsonify would sort the keys), never cached by proxies."""
    response = Response(json.dumps(payload), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid(field: str, message: str) -> Response:
    """The one shape of every 400: which parameter, and a sentence a person can act on."""
    field = _FIELD_NAMES.get(field, field)
    return _json({"error": "invalid_parameter", "field": field, "message": message}, 400)


@bp.get("/match")
@limiter.limit(API_RATE_LIMIT)
def match() -> ResponseReturnValue:
    """Ranked specialists for a patient, with distances and plain-language reasons."""
    try:
        query = match_form.query_from_params(request.args)
        matches = match_query.find_matches(db.session, query)
    except QueryError as error:
        return invalid(error.field, error.message)
    # the reasons in the patient's language when we write it (Spanish), English otherwise
    words = translator.wording(query.language)
    return _json(match_query.matches_payload(query, matches, words))


@bp.get("/openapi.json")
@limiter.exempt
def openapi_document() -> ResponseReturnValue:
    """The hand-written description of this API (checked against it by schemathesis)."""
    return _json(openapi.document())


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    """404, 405, 429 and friends as JSON, in the API's own error shape."""
    code = error.code or 500
    names = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}
    message = error.description or error.name
    if code == 429:
        message = "Too many requests. Please wait a minute and try again."
    return _json({"error": names.get(code, "http_error"), "message": message}, code)


@bp.errorhandler(Exception)
def _unexpected_error(error: Exception) -> ResponseReturnValue:
    """A bug must still answer in JSON, without a stack trace."""
    log.error("unhandled error on %s %s: %s", request.method, request.path, describe_failure(error))
    return _json({"error": "server_error", "message": "Something went wrong on our side."}, 500)
