"""The audit log: one row per audited action, in the action's transaction, and append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from intake.models import AuditEvent
from intake.services.staff import audit
from tests.views.advocate.test_advocate import always_callable, queued  # noqa: F401 (fixtures)
from tests.views.conftest import TEST_PASSWORD, csrf_token, make_user, post_form


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent))


def test_k_scripted_actions_leave_exactly_k_rows(client, db_session, queued, always_callable):  # noqa: F811
    staff = make_user(db_session, "advocate")
    before = _count(db_session)
    script = []

    def sign_in(password: str) -> None:
        token = csrf_token(client, "/login")
        client.post("/login", data={"csrf_token": token, "email": staff.email,
                                    "password": password})  # fmt: skip

    sign_in("not the right one at all")
    script.append("login.failure")
    sign_in(TEST_PASSWORD)
    script.append("login.success")
    lead = post_form(client, "/advocate/claim-next", token_from="/advocate/")
    script.append("queue.claim")
    client.get(lead.headers["Location"])
    script.append("lead.view")
    client.get("/advocate/")  # the queue summary: no personal data, not audited
    post_form(client, "/logout", token_from="/advocate/")
    script.append("logout")

    actions = list(db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > 0).order_by(AuditEvent.id)))  # fmt: skip
    assert _count(db_session) - before == len(script)
    assert actions[-len(script) :] == script


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'nothing happened'", "DELETE FROM audit_events"],
)
def test_audit_rows_cannot_be_rewritten_or_removed_in_postgresql(db_session, statement):
    audit.record(db_session, None, "export.specialists", "specialist", None, {"rows": 3})
    db_session.flush()
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))
    assert _count(db_session) >= 1


def test_admins_filter_the_log_by_person_action_lead_and_date(client, db_session, login_as):
    from datetime import timedelta

    from intake.models.base import utcnow

    admin = login_as("admin")
    audit.record(db_session, admin, "lead.view", "queue_item", 1042, {})
    audit.record(db_session, admin, "lead.view", "queue_item", 7, {})
    audit.record(db_session, "cli", "user.create", "user", 3, {"role": "advocate"})
    db_session.flush()
    page = client.get("/admin/audit?action=lead.view&lead=1042").get_data(as_text=True)
    assert "queue_item 1042" in page and "queue_item 7<" not in page
    row = "<td><code>user.create</code></td>"
    assert row not in client.get("/admin/audit?person=admin@").get_data(as_text=True)
    assert row in client.get("/admin/audit?person=cli").get_data(as_text=True)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "Nothing matches" in client.get(f"/admin/audit?since={tomorrow}").get_data(as_text=True)


def test_a_bad_filter_is_said_at_its_field_not_a_500(client, db_session, login_as):
    login_as("admin")
    response = client.get("/admin/audit?lead=abc&since=yesterday&action=<script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A lead is the number on its page" in page and "Use a date like" in page
    assert "<script>" not in page


def test_the_export_is_formula_safe_and_itself_audited(client, db_session, login_as):
    import csv
    import io

    admin = login_as("admin")
    audit.record(db_session, "=cmd|' /C calc'!A0", "user.create", "user", 1, {})
    db_session.flush()
    response = client.get("/admin/audit/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert any(row["who"] == "'=cmd|' /C calc'!A0" for row in rows)
    last = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.action, last.actor_id) == ("audit.export", admin.id)
