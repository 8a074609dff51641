"""Every route x method x {anonymous, advocate, another advocate, admin} against the policy table.

The matrix is built from ``app.url_map``: a new route without a policy
fails here (and is refused at run time until it has one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select, update

from intake.models import CallbackRequest, QueueItem
from intake.services.inbox import api_keys, callbacks
from intake.views import policy
from tests.conftest import GOOD_CALLBACK, submit
from tests.views.conftest import csrf_token, make_user, sign_in

ROLES = ("anonymous", "advocate", "another_advocate", "admin", "partner")
STAFF_ROLES = ("advocate", "another_advocate", "admin")
ALLOWED = {
    policy.PUBLIC: set(ROLES),
    policy.STAFF: {"advocate", "another_advocate", "admin"},
    policy.CLAIM_HOLDER: {"advocate", "admin"},  # "advocate" holds the claim
    policy.ADMIN: {"admin"},
    policy.SCRAPER: set(ROLES),  # the test client calls from loopback (tested on its own too)
    policy.PARTNER: {"partner"},  # a bearer key; a staff session opens nothing there
}


def _verdict(endpoint: str, response) -> str:
    """refused (sent to sign in), forbidden, or allowed (whatever the page then answers)."""
    location = response.headers.get("Location", "")
    # for the sign-in steps themselves, the sign-in page is an answer, not a refusal
    signing = endpoint in ("auth.login", "auth.logout", "auth.second_factor")
    if response.status_code in (301, 302, 303) and "/login" in location and not signing:
        return "refused"
    if response.status_code == 401:
        return "refused"
    if response.status_code == 403:
        return "forbidden"
    return "allowed"


@pytest.fixture
def world(app, client, db_session):
    """A claimed lead held by "advocate", the staff accounts, and a client per role."""
    submit(client, "/callback", GOOD_CALLBACK, best_time="asap")
    request = db_session.scalars(select(CallbackRequest)).one()
    callbacks.queue_callback(db_session, request.id)
    holder = make_user(db_session, "advocate", "holder@staff.example.org")
    other = make_user(db_session, "advocate", "other@staff.example.org")
    admin = make_user(db_session, "admin", "boss@staff.example.org")
    # the staff pages act on someone outside the four roles (a reset would sign them out)
    spare = make_user(db_session, "admin", "spare@staff.example.org")
    item = db_session.scalars(select(QueueItem)).one()
    item.callable_from = datetime(2026, 1, 1, tzinfo=UTC)
    item.status, item.claimed_by_id = "claimed", holder.id
    item.lease_expires_at = datetime(2099, 1, 1, tzinfo=UTC)
    db_session.flush()
    key = api_keys.create_key(db_session, "Matrix Partner", "cli")
    spare_key = api_keys.create_key(db_session, "Spare Partner", "cli")  # revoking is tried
    accounts = {"advocate": holder, "another_advocate": other, "admin": admin, "partner": key}
    values = {"item_id": item.id, "user_id": spare.id, "listing_id": "SPC-0001",
              "delivery_id": 1, "message_id": "nothing-here", "index": 0, "token": "x",
              "filename": "css/site.css", "lead_id": str(uuid.uuid4()),
              "key_id": spare_key.key.id, "contact_id": item.contact_id,
              "batch_id": 1}  # fmt: skip

    def hold() -> None:
        """The holder holds the claim again (releasing it is one of the routes tried)."""
        db_session.execute(update(QueueItem).where(QueueItem.id == item.id).values(
            status="claimed", claimed_by_id=holder.id,
            lease_expires_at=datetime(2099, 1, 1, tzinfo=UTC)))  # fmt: skip

    return accounts, values, hold


def _client_for(app: Flask, role: str, accounts, db_session):
    client = app.test_client()
    if role == "partner":  # a partner site's server: its key, no cookie
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {accounts[role].secret}"
    elif role != "anonymous":
        assert sign_in(client, db_session, accounts[role]).status_code == 303, role
    return client


def _url(rule, values) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", str(values[name]))
        for converter in ("int", "path", "string"):
            path = path.replace(f"<{converter}:{name}>", str(values[name]))
    return path


def test_every_route_has_a_policy(app):
    assert policy.unpoliced(app) == []


def test_the_matrix_matches_the_policy_table(app, db_session, world):
    accounts, values, hold = world
    clients = {role: _client_for(app, role, accounts, db_session) for role in ROLES}
    mismatches = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        audience = policy.POLICIES[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                client = clients[role]
                if rule.endpoint == "auth.logout" and method == "POST":
                    client = _client_for(
                        app, role, accounts, db_session
                    )  # signing out ends that client
                if audience == policy.CLAIM_HOLDER:
                    hold()
                kwargs = {}
                if method == "POST":
                    kwargs["data"] = {"csrf_token": csrf_token(client, "/login")}
                response = client.open(_url(rule, values), method=method, **kwargs)
                got = _verdict(rule.endpoint, response)
                response.close()  # a static file's handle
                staff_page = role in STAFF_ROLES and audience != policy.PARTNER
                expected = "allowed" if role in ALLOWED[audience] else (
                    "forbidden" if staff_page else "refused")  # fmt: skip
                checked += 1
                if got != expected:
                    mismatches.append((rule.rule, method, role, expected, got,
                                       response.status_code))  # fmt: skip
    assert mismatches == [], "\n".join(map(str, mismatches))
    assert checked >= 4 * len(policy.POLICIES)


def test_a_route_without_a_policy_fails_the_matrix_and_is_refused(app, db_session):
    from intake import create_app

    fresh = create_app({"TESTING": True})
    fresh.add_url_rule("/forgotten", "forgotten", lambda: "personal data")
    fresh.extensions["celery"].set_default()
    try:
        assert policy.unpoliced(fresh) == ["forgotten"]
        response = fresh.test_client().get("/forgotten")
        assert response.status_code == 403
        assert "personal data" not in response.get_data(as_text=True)
    finally:
        app.extensions["celery"].set_default()


# The RFC 8058 one-click unsubscribe is a POST a mail client sends without a page (documented);
# the partner API authenticates by a bearer key, never a cookie, so no CSRF token applies.
CSRF_EXEMPT = {"public.unsubscribe_page", "api_leads.create_lead"}


def test_every_state_changing_route_refuses_a_post_without_its_csrf_token(app, db_session, world):
    accounts, values, hold = world
    admin = _client_for(app, "admin", accounts, db_session)
    holder = _client_for(app, "advocate", accounts, db_session)
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) >= 15
    accepted = []
    for rule in posts:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        hold()
        client = holder if policy.POLICIES[rule.endpoint] == policy.CLAIM_HOLDER else admin
        response = client.post(_url(rule, values), data={"anything": "1"})
        if response.status_code != 400:
            accepted.append((rule.rule, response.status_code))
    assert accepted == []
