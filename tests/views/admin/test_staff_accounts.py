"""Admins run staff accounts: create with a one-time link, new links, deactivate, reactivate."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from intake.models import AuditEvent, OutboxMessage, User
from intake.models.base import utcnow
from intake.services.staff import staff_accounts
from tests.views.conftest import post_form

NEW_PASSWORD = "a fresh long passphrase"  # noqa: S105 (a test value)


def _emailed_link(app, db_session, page: str, user: User) -> str:
    """The link as the person gets it: the worker's job run, its email read (never the page)."""
    import email

    from tests.services.email.test_emails import FakeTransport

    assert "/staff/set-password/" not in page  # no admin sees the link
    job = db_session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.task_name == staff_accounts.TASK_EMAIL_LINK)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert job is not None and job.args == [user.id]  # the job carries an id, never a token
    transport = FakeTransport()
    assert staff_accounts.email_link(db_session, user.id, transport)  # the test's app context
    message = email.message_from_bytes(transport.sent[-1], policy=email.policy.default)
    assert message["To"] == user.email and message["Subject"] == "Set your staff password"
    match = re.search(r"https?://\S+(/staff/set-password/\S+)", message.get_content())
    assert match, "no link in the email"
    return match.group(1)


def _actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_admin_adds_an_advocate_who_chooses_their_own_password(app, client, db_session,
                                                                  login_as):  # fmt: skip
    login_as("admin")
    created = post_form(client, "/admin/staff/new", {
        "email": "New.Person@Staff.example.org", "name": "New Person", "role": "advocate",
        "skills": "es, va"}, token_from="/admin/staff/new")  # fmt: skip
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "Account created" in page
    user = db_session.scalars(
        select(User).where(User.email == "new.person@staff.example.org")
    ).one()
    assert user.skills == ["es", "va"] and user.password_link_hash is None  # made as it is sent
    path = _emailed_link(app, db_session, page, user)
    assert user.password_link_hash and len(user.password_link_hash) == 64  # only its hash kept

    newcomer = app.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200 and "Choose your password" in form.get_data(as_text=True)
    mismatch = post_form(newcomer, path, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    done = post_form(newcomer, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert newcomer.get(path).status_code == 404  # used: the link works once
    signed = post_form(newcomer, "/login", {"email": user.email, "password": NEW_PASSWORD})
    assert signed.status_code == 303
    assert {"user.create", "user.password_set"} <= set(_actions(db_session))


def test_an_expired_link_is_refused_plainly(app, db_session):
    from tests.views.conftest import make_user

    user = make_user(db_session, "advocate")
    token = staff_accounts.issue_link(user, now=utcnow() - timedelta(hours=49))
    db_session.flush()
    page = app.test_client().get(f"/staff/set-password/{token}")
    assert page.status_code == 404 and "out of date" in page.get_data(as_text=True)


def test_deactivating_asks_first_then_signs_them_out_everywhere(app, client, db_session,
                                                               login_as):  # fmt: skip
    from tests.views.conftest import make_user, sign_in

    colleague = make_user(db_session, "advocate", "leaving@staff.example.org")
    theirs = app.test_client()
    assert sign_in(theirs, db_session, colleague).status_code == 303
    admin = login_as("admin")
    path = f"/admin/staff/{colleague.id}/deactivate"
    assert "Deactivate this account?" in client.get(path).get_data(as_text=True)
    assert client.head(path).status_code == 200  # a HEAD (no CSRF check) only asks too
    assert theirs.get("/advocate/").status_code == 200  # nothing yet
    assert post_form(client, path).status_code == 303
    assert theirs.get("/advocate/").status_code == 302
    assert sign_in(app.test_client(), db_session, colleague).status_code == 400
    own = client.get(f"/admin/staff/{admin.id}/deactivate")
    assert own.status_code == 303  # never oneself
    assert post_form(client, f"/admin/staff/{colleague.id}/reactivate",
                     token_from="/admin/staff").status_code == 303  # fmt: skip
    assert sign_in(app.test_client(), db_session, colleague).status_code == 303
    assert {"user.deactivate", "user.reactivate"} <= set(_actions(db_session))


def test_a_new_password_link_replaces_the_old_one(app, client, db_session, login_as):
    from tests.views.conftest import make_user

    colleague = make_user(db_session, "advocate", "forgetful@staff.example.org")
    login_as("admin")
    pages = [
        post_form(client, f"/admin/staff/{colleague.id}/password-link", token_from="/admin/staff")
        for _ in range(2)
    ]
    assert all("Password link sent" in page.get_data(as_text=True) for page in pages)
    first = _emailed_link(app, db_session, pages[0].get_data(as_text=True), colleague)
    second = _emailed_link(app, db_session, pages[1].get_data(as_text=True), colleague)
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
