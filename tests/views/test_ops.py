"""/healthz and /readyz, against the real PostgreSQL and Redis and against dead ones."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from flask import Flask

DEAD_BROKER_URL = "redis://127.0.0.1:6399/0"  # nothing listens there
DEAD_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:5499/none"
PROBE_DEADLINE_SECONDS = 10  # generous; a load balancer gives a probe a few seconds


def _assert_no_stack_trace(body: str) -> None:
    assert "Traceback" not in body
    assert 'File "' not in body
    assert "psycopg" not in body.lower()
    assert "127.0.0.1" not in body  # no connection strings either


@pytest.fixture
def outage_app(app: Flask) -> Iterator[Any]:
    """Builds a second app with some settings overridden; restores the session app after."""
    from intake.extensions import db

    built: list[Flask] = []

    def build(overrides: Mapping[str, Any]) -> Flask:
        from intake import create_app

        other = create_app({"TESTING": True, **overrides})
        built.append(other)
        return other

    try:
        yield build
    finally:
        for other in built:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()  # close its pooled connections
        # create_app made the outage app's Celery the default: give it back
        app.extensions["celery"].set_default()


def _probe(flask_app: Flask, path: str) -> tuple[Any, float]:
    started = time.monotonic()
    response = flask_app.test_client().get(path)
    return response, time.monotonic() - started


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_is_503_naming_the_broker_when_it_is_unreachable(outage_app):
    # no `client` fixture here: it pins db.session to the session app's connection
    flask_app = outage_app({"CELERY_BROKER_URL": DEAD_BROKER_URL})
    response, elapsed = _probe(flask_app, "/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] != "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "unreachable"  # no exception class for a stranger
    assert "broker" in [name for name, state in body["checks"].items() if state != "ok"]
    assert elapsed < PROBE_DEADLINE_SECONDS, f"/readyz took {elapsed:.1f}s with Redis down"
    _assert_no_stack_trace(response.get_data(as_text=True))


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(outage_app):
    flask_app = outage_app({"SQLALCHEMY_DATABASE_URI": DEAD_DATABASE_URI})
    response, elapsed = _probe(flask_app, "/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] != "ready"
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["database"] == "unreachable"
    assert [name for name, state in body["checks"].items() if state != "ok"] == ["database"]
    assert elapsed < PROBE_DEADLINE_SECONDS, f"/readyz took {elapsed:.1f}s with PostgreSQL down"
    _assert_no_stack_trace(response.get_data(as_text=True))


def test_healthz_stays_ok_while_dependencies_are_down(outage_app):
    """Liveness must not fail on a dependency outage, or the orchestrator restarts healthy pods."""
    flask_app = outage_app(
        {"CELERY_BROKER_URL": DEAD_BROKER_URL, "SQLALCHEMY_DATABASE_URI": DEAD_DATABASE_URI}
    )
    response, _ = _probe(flask_app, "/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}

    ready, elapsed = _probe(flask_app, "/readyz")
    assert ready.status_code == 503
    assert {name for name, state in ready.get_json()["checks"].items() if state != "ok"} == {
        "database",
        "broker",
    }
    assert elapsed < PROBE_DEADLINE_SECONDS
    _assert_no_stack_trace(ready.get_data(as_text=True))


def test_metrics_answer_a_local_scraper_in_prometheus_format_with_counts_only(client):
    from tests.conftest import GOOD_CALLBACK, submit

    submit(client, "/callback", GOOD_CALLBACK)
    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'intake_submissions_total{form="callback"} 1.0' in text
    assert 'intake_outbox_jobs{state="waiting_for_person"} 0.0' in text
    assert "intake_sla_breaches_total 0.0" in text and "# HELP intake_queue_items" in text
    for private in ("Maria", "Lopez", "555-0143", "10001", "pleural"):
        assert private not in text


def test_metrics_from_elsewhere_need_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "a-long-scraper-token-for-tests")
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    wrong = {"Authorization": "Bearer not-it"}
    assert client.get("/metrics", environ_base=remote, headers=wrong).status_code == 401
    right = {"Authorization": "Bearer a-long-scraper-token-for-tests"}
    assert client.get("/metrics", environ_base=remote, headers=right).status_code == 200


def test_with_a_token_set_loopback_needs_it_too(app, client, monkeypatch):
    """A proxy on this machine without TRUSTED_PROXY_HOPS makes every visitor loopback."""
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "a-long-scraper-token-for-tests")
    for local in ("127.0.0.1", "::1"):
        here = {"REMOTE_ADDR": local}
        refused = client.get("/metrics", environ_base=here)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert "intake_" not in refused.get_data(as_text=True)
        wrong = {"Authorization": "Bearer not-it"}
        assert client.get("/metrics", environ_base=here, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer a-long-scraper-token-for-tests"}
        assert client.get("/metrics", environ_base=here, headers=right).status_code == 200


def test_without_a_token_only_loopback_is_answered(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    anything = {"Authorization": "Bearer "}  # an empty token is no token
    assert client.get("/metrics", environ_base=remote, headers=anything).status_code == 401
