"""The audit log: one row per audited action, in the action's transaction, and append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from intake.models import AuditEvent
from intake.services import audit
from tests.views.conftest import TEST_PASSWORD, csrf_token, make_user, post_form
from tests.views.test_advocate import always_callable, queued  # noqa: F401 (fixtures)


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
