"""Staff sessions end for real: sign-out, idle and absolute limits, deactivation, rotation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from intake.models import AuditEvent, StaffSession
from intake.models.base import utcnow
from intake.services.staff import staff_sessions
from tests.views.conftest import csrf_token, post_form


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _row(db_session) -> StaffSession:
    """The one session row, read afresh (the app wrote it through its own connection)."""
    db_session.expire_all()
    return db_session.scalars(select(StaffSession)).one()


def _age(db_session, **ago: timedelta) -> None:
    db_session.execute(update(StaffSession).values(**{k: utcnow() - v for k, v in ago.items()}))
    db_session.flush()


def test_a_cookie_replayed_after_sign_out_opens_nothing(app, client, db_session, login_as):
    login_as("admin")
    saved = _cookie(client)
    assert client.get("/admin/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get("/admin/").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/admin/").status_code == 302
    assert thief.get("/admin/specialists/export").status_code == 302
    row = _row(db_session)
    assert row.end_reason == "signed_out" and row.ended_at is not None


def test_signing_in_starts_a_new_session_with_a_new_cookie(client, db_session, login_as):
    csrf_token(client, "/login")  # an anonymous session exists before signing in
    before = _cookie(client)
    login_as("advocate")
    assert _cookie(client) != before
    rows = db_session.scalars(select(StaffSession)).all()
    assert len(rows) == 1 and len(rows[0].token_hash) == 64  # only a hash is kept


def test_fifteen_idle_minutes_sign_out_with_a_word_why(client, db_session, login_as):
    login_as("advocate")
    assert client.get("/advocate/").status_code == 200
    _age(db_session, last_seen_at=timedelta(minutes=staff_sessions.IDLE_MINUTES, seconds=1))
    assert client.get("/advocate/").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "signed out after 15 minutes without activity" in page
    assert _row(db_session).end_reason == "idle"


def test_activity_keeps_the_session_and_background_refreshes_do_not(client, db_session, login_as):
    login_as("advocate")
    _age(db_session, last_seen_at=timedelta(minutes=10))
    client.get("/advocate/queue/panel", headers={"X-Background": "1"})
    assert utcnow() - _row(db_session).last_seen_at > timedelta(minutes=9)  # not the person
    assert post_form(client, "/session/keepalive", token_from="/advocate/").status_code == 204
    assert utcnow() - _row(db_session).last_seen_at < timedelta(minutes=1)


def test_twelve_hours_after_sign_in_the_session_ends_however_busy(client, db_session, login_as):
    login_as("admin")
    _age(db_session, created_at=timedelta(hours=staff_sessions.ABSOLUTE_HOURS, seconds=1))
    assert client.get("/admin/").status_code == 302
    assert _row(db_session).end_reason == "expired"


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, db_session, login_as):
    user = login_as("advocate")
    user.active = False
    db_session.flush()
    assert client.get("/advocate/").status_code == 302
    assert _row(db_session).end_reason == "deactivated"
    assert staff_sessions.end_all_for(db_session, user.id, "deactivated") == 0


def test_the_keepalive_is_refused_without_a_session_or_a_csrf_token(client, db_session, login_as):
    assert post_form(client, "/session/keepalive", token_from="/login").status_code == 302
    login_as("advocate")
    assert client.post("/session/keepalive").status_code == 400  # no CSRF token


def test_staff_pages_carry_the_idle_warning(client, db_session, login_as):
    login_as("advocate")
    html = client.get("/advocate/").get_data(as_text=True)
    assert 'id="session-timeout"' in html and "js/session.js" in html
    assert 'data-idle-seconds="840"' in html and "Stay signed in" in html
    assert db_session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) is not None
