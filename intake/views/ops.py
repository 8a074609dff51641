"""Operational endpoints for load balancers, orchestrators and a Prometheus scraper."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from intake.extensions import csrf, db, limiter
from intake.services.ops import metrics as service_metrics

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """The process is up and serving; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    """Ready to take traffic: the database and the broker both answer."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return "ok"
    except Exception as exc:
        db.session.rollback()
        log.warning("readyz: database unreachable: %s", type(exc).__name__)
        return "unreachable"  # the cause goes to the log, never to an anonymous caller


def _check_broker() -> str:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as conn:
            # one attempt, no retry sleep: a probe must answer fast, and it is repeated anyway
            conn.ensure_connection(max_retries=0, timeout=2)
        return "ok"
    except Exception as exc:
        log.warning("readyz: broker unreachable: %s", type(exc).__name__)
        return "unreachable"


LOOPBACK = frozenset({"127.0.0.1", "::1"})


def scraper_allowed() -> bool:
    """With ``METRICS_TOKEN`` set, whoever presents it as a bearer token; unset, loopback only.

    Once a token exists, loopback is no proof: a reverse proxy on this
    machine whose ``TRUSTED_PROXY_HOPS`` was forgotten makes every visitor
    arrive from 127.0.0.1, so the token is asked of everyone.
    """
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return request.remote_addr in LOOPBACK


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus figures (counts only, nothing personal) for an allowed scraper."""
    body = service_metrics.exposition(db.session(), current_app.config)
    db.session.rollback()
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Cache-Control": "no-store"})  # fmt: skip


csrf.exempt(bp)
