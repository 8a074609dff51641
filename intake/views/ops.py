"""Operational endpoints for load balancers and orchestrators."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from intake.extensions import csrf, db, limiter

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


csrf.exempt(bp)
