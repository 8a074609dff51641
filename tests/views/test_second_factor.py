"""Admins sign in with a second step: enrolment with a QR code, TOTP codes, recovery codes."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from intake.models import AuditEvent
from intake.services.staff import auth, mfa
from tests.views.conftest import TEST_PASSWORD, post_form, totp_code

SECOND = "/login/second-factor"


def _password(client, email: str):
    return post_form(client, "/login", {"email": email, "password": TEST_PASSWORD})


def _new_admin(db_session):
    """An admin as `intake users create` makes the first one: no second step yet."""
    return auth.create_user(db_session, "first@staff.example.org", "admin", TEST_PASSWORD, "First")


def test_a_new_admin_sets_up_the_second_step_then_gets_recovery_codes(client, db_session):
    admin = _new_admin(db_session)
    response = _password(client, admin.email)
    assert response.status_code == 303 and response.headers["Location"].endswith(SECOND)
    assert client.get("/admin/").status_code == 302  # the password alone opens nothing
    page = client.get(SECOND).get_data(as_text=True)
    assert "Set up your second step" in page and 'src="data:image/svg+xml' in page
    key = re.search(r'<code class="totp-key">([A-Z2-7 ]+)</code>', page).group(1)
    db_session.refresh(admin)
    assert admin.totp_pending == key.replace(" ", "") and admin.totp_secret is None

    wrong = post_form(client, SECOND, {"code": "000000"})
    assert wrong.status_code == 400 and "did not work" in wrong.get_data(as_text=True)
    done = post_form(client, SECOND, {"code": pyotp.TOTP(key.replace(" ", "")).now()})
    codes = re.findall(
        r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True)
    )
    assert done.status_code == 200 and len(codes) == mfa.RECOVERY_CODES
    assert client.get("/admin/").status_code == 200
    db_session.refresh(admin)
    assert mfa.is_enrolled(admin) and admin.totp_pending is None
    assert all(code not in str(admin.recovery_codes) for code in codes)  # hashes only
    actions = list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["login.success", "mfa.failure", "mfa.enrol"]


def test_an_enrolled_admin_needs_a_fresh_code_and_each_code_works_once(app, db_session):
    admin = _new_admin(db_session)
    admin.totp_secret, admin.totp_enabled_at = pyotp.random_base32(), admin.created_at
    db_session.flush()
    first, second = app.test_client(), app.test_client()
    _password(first, admin.email)
    code = totp_code(db_session, admin)
    assert post_form(first, SECOND, {"code": code}).status_code == 303
    assert first.get("/admin/").status_code == 200
    _password(second, admin.email)
    replay = post_form(second, SECOND, {"code": code})
    assert replay.status_code == 400  # the same code again: refused
    assert second.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once(app, client, db_session):
    admin = _new_admin(db_session)
    admin.totp_secret, admin.totp_enabled_at = pyotp.random_base32(), admin.created_at
    codes = mfa.new_recovery_codes(admin)
    db_session.flush()
    _password(client, admin.email)
    used = post_form(client, SECOND, {"code": codes[3].upper()})
    assert used.status_code == 303
    assert "9 left" in client.get(used.headers["Location"]).get_data(as_text=True)
    again = app.test_client()
    _password(again, admin.email)
    assert post_form(again, SECOND, {"code": codes[3]}).status_code == 400


def test_advocates_sign_in_with_their_password_alone(client, db_session, login_as):
    advocate = login_as("advocate")
    assert advocate.totp_secret is None and client.get("/advocate/").status_code == 200


def test_the_second_step_cannot_be_reached_without_the_password_first(client, db_session):
    response = client.get(SECOND)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")


def test_an_admin_resets_a_colleagues_second_step_and_ends_their_sessions(
    app, client, db_session, login_as
):
    from tests.views.conftest import make_user, sign_in

    colleague = make_user(db_session, "admin", "colleague@staff.example.org")
    theirs = app.test_client()
    assert sign_in(theirs, db_session, colleague).status_code == 303
    login_as("admin")
    page = client.get(f"/admin/staff/{colleague.id}").get_data(as_text=True)
    assert "Reset the second step" in page
    done = post_form(client, f"/admin/staff/{colleague.id}/reset-second-step",
                     token_from=f"/admin/staff/{colleague.id}")  # fmt: skip
    assert done.status_code == 303
    db_session.refresh(colleague)
    assert not mfa.is_enrolled(colleague) and colleague.recovery_codes == []
    assert theirs.get("/admin/").status_code == 302  # signed out
    again = _password(theirs, colleague.email)
    assert "Set up your second step" in theirs.get(again.headers["Location"]).get_data(as_text=True)
    actions = list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "mfa.reset" in actions


def test_the_cli_resets_the_second_step_of_a_locked_out_admin(app, db_session):
    from intake.cli import main as intake_cli
    from tests.views.conftest import make_user

    admin = make_user(db_session, "admin", "alone@staff.example.org")
    result = app.test_cli_runner().invoke(
        intake_cli, ["users", "reset-second-step", "--email", admin.email]
    )
    assert result.exit_code == 0, result.output
    db_session.refresh(admin)
    assert not mfa.is_enrolled(admin)
