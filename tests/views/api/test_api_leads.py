"""POST /api/v1/leads and GET /api/v1/leads/<id>/status: keys, idempotency, problems, the inbox."""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import (
    AuditEvent,
    CallbackRequest,
    ConsentRecord,
    GuideRequest,
    IdempotencyRecord,
    Submission,
)
from intake.services.inbox import api_keys, partner_leads
from intake.services.people import consent
from intake.views.api import openapi, openapi_leads
from tests.conftest import process_received

EXAMPLE = openapi_leads.EXAMPLE
PROBLEM = "application/problem+json"


@pytest.fixture
def key(db_session: Any) -> str:
    return api_keys.create_key(db_session, "Lakeside Cancer Centre", "cli").secret


@pytest.fixture
def other_key(db_session: Any) -> str:
    return api_keys.create_key(db_session, "Veterans Support Network", "cli").secret


def post(client: Any, body: Any, key: str | None, idem: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if idem:
        headers["Idempotency-Key"] = idem
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    kw.setdefault("content_type", "application/json")
    return client.post("/api/v1/leads", data=data, headers=headers, **kw)


def count(db_session: Any, model: Any) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("/api/docs#") and body["instance"] == response.request.path
    return body


def test_the_documented_example_succeeds_as_it_stands(client, db_session, key):
    example = openapi.document()["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"][
        "application/json"
    ]["example"]
    response = post(client, example, key)
    assert response.status_code in (201, 202), response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"id", "status", "requests", "status_url"}
    assert uuid.UUID(body["id"]) and body["requests"] == ["guide", "callback"]
    assert response.headers["Location"] == f"/api/v1/leads/{body['id']}/status"
    rows = db_session.scalars(select(Submission)).all()
    assert {row.form for row in rows} == {"guide", "callback"}
    assert {row.lead_id for row in rows} == {body["id"]}
    assert rows[0].partner_id is not None


def test_a_lead_enters_the_inbox_and_is_processed_like_a_form(client, db_session, key):
    response = post(client, EXAMPLE, key)
    lead_id = response.get_json()["id"]
    status = client.get(
        f"/api/v1/leads/{lead_id}/status", headers={"Authorization": f"Bearer {key}"}
    )
    assert status.get_json()["status"] == "received"
    assert status.get_json()["requests"] == {"guide": "received", "callback": "received"}
    assert process_received(client.application) == []
    assert count(db_session, GuideRequest) == 1 and count(db_session, CallbackRequest) == 1
    records = db_session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert {r.purpose for r in records} == {"advocate_calls", "guide_email", "followup_emails"}
    calls = next(r for r in records if r.purpose == "advocate_calls")
    assert calls.text_version == consent.CALLBACK_CONSENT.version
    assert calls.text_sha256 == consent.CALLBACK_CONSENT.sha256
    assert calls.ip_address == "203.0.113.7" and calls.covers == "+12125550143"
    assert calls.granted_at.isoformat().startswith("2026-11-29T09:30:00")
    partner_id = db_session.scalars(select(Submission.partner_id)).first()
    assert calls.source == f"partner:{partner_id}"
    own = next(r for r in records if r.purpose == "followup_emails")
    text = EXAMPLE["consent"]["wordings"]["followup_emails"]["text"]
    import hashlib

    assert own.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert own.text_version.startswith("partner-")
    after = client.get(
        f"/api/v1/leads/{lead_id}/status", headers={"Authorization": f"Bearer {key}"}
    )
    assert after.get_json()["requests"] == {"guide": "preparing", "callback": "received"}
    assert "Maria" not in after.get_data(as_text=True)


# --- authentication


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (None, "Send your API key"),
        ("Basic dXNlcjpwYXNz", "is not 'Bearer"),
        ("Bearer not-a-key", "is not 'Bearer"),
        ("Bearer mik_abcdefgh_" + "A" * 43, "not one of ours"),
    ],
)
def test_missing_or_malformed_keys_are_401(client, db_session, header, words):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/leads", data=json.dumps(EXAMPLE), headers=headers,
                           content_type="application/json")  # fmt: skip
    body = assert_problem(response, 401)
    assert words in body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(db_session, Submission) == 0


def test_a_revoked_key_is_401_from_the_next_request(client, db_session, key):
    assert post(client, EXAMPLE, key).status_code == 202
    key_id = db_session.scalars(select(IdempotencyRecord.id)).first()  # none: no header sent
    assert key_id is None
    [row] = api_keys.list_keys(db_session)
    api_keys.revoke_key(db_session, row.id, "cli")
    body = assert_problem(post(client, EXAMPLE, key), 401)
    assert "revoked" in body["detail"]
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"api_key.create", "api_key.revoke"} <= actions


def test_the_key_is_stored_hashed_never_itself(db_session, key):
    [row] = api_keys.list_keys(db_session)
    assert key not in (row.key_hash, row.prefix) and key.split("_", 2)[2] not in row.key_hash
    assert key.startswith(f"mik_{row.prefix}_")


def test_another_partners_lead_is_404_like_an_unknown_one(client, db_session, key, other_key):
    lead_id = post(client, EXAMPLE, key).get_json()["id"]
    mine = client.get(f"/api/v1/leads/{lead_id}/status", headers={"Authorization": f"Bearer {key}"})
    assert mine.status_code == 200
    for path in (f"/api/v1/leads/{lead_id}/status", f"/api/v1/leads/{uuid.uuid4()}/status",
                 "/api/v1/leads/1/status"):  # fmt: skip
        theirs = client.get(path, headers={"Authorization": f"Bearer {other_key}"})
        assert_problem(theirs, 404)


# --- idempotency and de-duplication


def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(
    client, db_session, key
):
    idem = str(uuid.uuid4())
    first = post(client, EXAMPLE, key, idem)
    again = post(client, EXAMPLE, key, idem)
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db_session, Submission) == 2 and count(db_session, IdempotencyRecord) == 1


def test_the_same_key_with_another_body_is_422(client, db_session, key):
    idem = str(uuid.uuid4())
    assert post(client, EXAMPLE, key, idem).status_code == 202
    changed = copy.deepcopy(EXAMPLE)
    changed["callback"]["best_time"] = "evening"
    body = assert_problem(post(client, changed, key, idem), 422)
    assert body["type"] == "/api/docs#idempotency-key-reused"
    assert count(db_session, Submission) == 2


def test_keys_are_scoped_to_the_partner(client, db_session, key, other_key):
    idem = str(uuid.uuid4())
    one = post(client, EXAMPLE, key, idem).get_json()["id"]
    two = post(client, EXAMPLE, other_key, idem).get_json()["id"]
    assert one != two and count(db_session, Submission) == 4


def test_an_expired_key_is_forgotten(client, db_session, key):
    from datetime import timedelta

    from intake.models.base import utcnow

    idem = str(uuid.uuid4())
    assert post(client, EXAMPLE, key, idem).status_code == 202
    record = db_session.scalars(select(IdempotencyRecord)).one()
    record.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    changed = copy.deepcopy(EXAMPLE)
    changed["guide"]["topics"] = ["financial"]
    assert post(client, changed, key, idem).status_code == 202  # a new lead under the old key
    assert partner_leads.purge_idempotency_records(db_session, utcnow() + timedelta(days=2)) == 1


def test_without_the_header_the_same_body_is_still_one_lead(client, db_session, key):
    first = post(client, EXAMPLE, key)
    again = post(client, json.dumps(EXAMPLE, indent=3), key)  # the same JSON, laid out anew
    assert first.status_code == 202 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(db_session, Submission) == 2
    later = copy.deepcopy(EXAMPLE)
    later["consent"]["given_at"] = "2026-11-29T10:45:00Z"  # asked again: a new lead
    assert post(client, later, key).status_code == 202
    assert count(db_session, Submission) == 4
    assert process_received(client.application) == []
    # the second ask is the same person: one open callback, asked twice
    assert db_session.scalars(select(CallbackRequest.times_requested)).all() == [2]


# --- the error statuses


def test_bad_bodies_are_400_never_500(client, db_session, key):
    cases = [b"{not json", b"\xff\xfe{}", b"[" * 60000, b'{"a": NaN}', b"9" * 5000, b""]
    for raw in cases:
        body = assert_problem(post(client, raw, key), 400 if raw != b"" else 400)
        assert body["errors"] == []
    assert count(db_session, Submission) == 0


def test_wrong_types_and_values_are_422_naming_each_field(client, db_session, key):
    lead = copy.deepcopy(EXAMPLE)
    lead["callback"].update(phone=12125550143, consent_calls="yes", zip="00000")
    lead["guide"].update(topics="treatment", first_name="\ud800x", extra=1)
    lead["consent"].update(ip_address="300.1.1.1", given_at="yesterday")
    del lead["consent"]["wordings"]["advocate_calls"]
    body = assert_problem(post(client, lead, key), 422)
    fields = {error["field"] for error in body["errors"]}
    assert {"callback.phone", "callback.consent_calls", "guide.topics", "guide.first_name",
            "guide.extra", "consent.ip_address", "consent.given_at"} <= fields  # fmt: skip
    assert all(error["message"] for error in body["errors"])
    zip_only = copy.deepcopy(EXAMPLE)
    zip_only["callback"]["zip"] = "00000"
    assert_problem(post(client, zip_only, key), 422)["errors"] == [
        {"field": "callback.zip", "message": "We could not find that ZIP code. Please check it."}
    ]
    for body in ([], {}, {"consent": EXAMPLE["consent"]}, {"guide": EXAMPLE["guide"]}):
        assert_problem(post(client, body, key), 422)
    assert count(db_session, Submission) == 0


def test_the_form_rules_hold_for_the_api(client, db_session, key):
    lead = copy.deepcopy(EXAMPLE)
    lead["callback"]["consent_calls"] = False
    lead["guide"].update(deliver_email=False, deliver_mail=True)  # mail needs an address
    errors = assert_problem(post(client, lead, key), 422)["errors"]
    messages = {e["field"]: e["message"] for e in errors}
    assert (
        messages["callback.consent_calls"] == "Please tick the box so we are allowed to call you."
    )
    assert "guide.address_line1" in messages and "guide.postal_zip" in messages


def test_other_statuses(client, db_session, key):
    assert_problem(post(client, EXAMPLE, key, content_type="text/plain"), 415)
    assert_problem(post(client, "x" * (70 * 1024), key), 413)
    assert_problem(post(client, EXAMPLE, key, idem="bad key with spaces"), 400)
    assert_problem(post(client, EXAMPLE, key, idem="x" * 256), 400)
    future = copy.deepcopy(EXAMPLE)
    future["consent"]["given_at"] = "2099-01-01T00:00:00Z"
    assert_problem(post(client, future, key), 422)
    assert count(db_session, Submission) == 0


def test_rate_limits_are_per_key_with_headers(app, db_session, key, other_key):
    from intake import create_app
    from intake.extensions import limiter

    limited = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://",
                          "PARTNER_API_RATE_LIMIT": "2 per minute"})  # fmt: skip
    try:
        client = limited.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        path = f"/api/v1/leads/{uuid.uuid4()}/status"
        first = client.get(path, headers=auth)
        assert first.headers["RateLimit-Limit"] == "2"
        assert first.headers["RateLimit-Remaining"] == "1"
        assert int(first.headers["RateLimit-Reset"]) > 0
        client.get(path, headers=auth)
        limited_response = client.get(path, headers=auth)
        body = assert_problem(limited_response, 429)
        assert "2 per minute" in body["detail"]
        assert int(limited_response.headers["Retry-After"]) > 0
        other = client.get(path, headers={"Authorization": f"Bearer {other_key}"})
        assert other.status_code == 404  # its own budget
    finally:
        limiter.init_app(app)
        app.extensions["celery"].set_default()
        assert not limiter.enabled


def test_the_docs_page_renders_the_document_locally(client, db_session):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "POST /api/v1/leads" in html and "Idempotency-Key" in html
    assert 'id="validation-error"' in html and "callback-calls-2026-11-01" in html
    assert "http://" not in html.replace(page.request.host_url, "").split("curl")[0]


def test_admins_make_and_revoke_keys_on_their_pages_audited(client, db_session, login_as):
    from tests.views.conftest import post_form

    login_as("admin")
    made = post_form(client, "/admin/api-keys", {"partner": "Harbor Support Group"})
    secret = re.search(r"<code>(mik_[^<]+)</code>", made.get_data(as_text=True)).group(1)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    [row] = api_keys.list_keys(db_session)
    assert secret not in client.get("/admin/api-keys").get_data(as_text=True)
    revoked = post_form(client, f"/admin/api-keys/{row.id}/revoke", token_from="/admin/api-keys")
    assert revoked.status_code == 303
    assert_problem(post(client, EXAMPLE, secret), 401)
    assert {"api_key.create", "api_key.revoke"} <= set(
        db_session.scalars(select(AuditEvent.action))
    )


def test_routing_errors_under_the_leads_api_are_problem_documents_too(client):
    wrong_method = client.delete("/api/v1/leads")
    assert wrong_method.status_code == 405
    assert wrong_method.mimetype == "application/problem+json"
    assert "POST" in wrong_method.headers["Allow"]
    assert wrong_method.get_json()["status"] == 405
    nowhere = client.get("/api/v1/leads/not-a-uuid/elsewhere")
    assert nowhere.status_code == 404
    assert nowhere.mimetype == "application/problem+json"
    assert nowhere.get_json()["instance"] == "/api/v1/leads/not-a-uuid/elsewhere"
