"""A staff email the server refuses fails its job (run again, shown to admins), never drops.

Before, the password link and the queue alert handed their message to the
transport and ignored the answer: a 451 or a 550 ended the job as done and
nobody ever got the email.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.mail.staff import StaffMailRefused
from intake.mail.transport import PERMANENT, TRANSIENT, UNKNOWN, Outcome
from intake.models import StaffAlert, User
from intake.services.queue import sla
from intake.services.staff import auth, staff_accounts
from tests.services.email.test_emails import FakeTransport
from tests.services.queue.test_queue import MONDAY_10_NY, ask

BUSY = Outcome(TRANSIENT, 451, "4.3.0", "data")
NO_SUCH = Outcome(PERMANENT, 550, "5.1.1", "rcpt")
DROPPED = Outcome(UNKNOWN, None, None, "data")


def _advocate(db_session) -> User:
    password = "a long advocate password"  # noqa: S105 (a test value)
    return auth.create_user(db_session, "new@staff.example.org", "advocate", password, "New")


@pytest.mark.parametrize("refusal", [BUSY, NO_SUCH], ids=["451", "550"])
def test_a_refused_password_link_fails_its_job(app, db_session, refusal):
    user = _advocate(db_session)
    transport = FakeTransport(refusal)
    with pytest.raises(StaffMailRefused, match=rf"password link email not taken: .*{refusal.code}"):
        staff_accounts.email_link(db_session, user.id, transport)
    assert len(transport.sent) == 1
    assert b"new@staff.example.org" not in str(refusal).encode()  # the reason names no address
    # the job's next run makes and sends a link that works
    assert staff_accounts.email_link(db_session, user.id, transport)
    assert len(transport.sent) == 2


def test_a_password_link_of_unknown_fate_is_not_sent_again(app, db_session, caplog):
    user = _advocate(db_session)
    transport = FakeTransport(DROPPED)
    assert staff_accounts.email_link(db_session, user.id, transport)  # the job is done
    assert "password link email: outcome unknown" in caplog.text


def _alert(db_session) -> int:
    ask(db_session, now=MONDAY_10_NY - timedelta(minutes=6))
    assert sla.check(db_session, MONDAY_10_NY) == 1
    return db_session.scalars(select(StaffAlert)).one().id


def test_an_alert_nobody_was_sent_fails_its_job_and_goes_on_the_next_run(app, db_session):
    auth.create_user(db_session, "boss@staff.example.org", "admin", "a long admin password")
    alert = _alert(db_session)
    transport = FakeTransport(BUSY)
    with app.test_request_context():
        with pytest.raises(StaffMailRefused, match="queue alert email not taken"):
            sla.send_alert(db_session, alert, transport)
        assert db_session.get(StaffAlert, alert).sent_at is None
        assert sla.send_alert(db_session, alert, transport)  # the retry
    assert len(transport.sent) == 2 and db_session.get(StaffAlert, alert).sent_at


def test_an_alert_one_admin_has_is_not_repeated_for_another_refused(app, db_session, caplog):
    for name in ("boss", "chief"):
        auth.create_user(db_session, f"{name}@staff.example.org", "admin", "a long admin password")
    alert = _alert(db_session)
    transport = FakeTransport(NO_SUCH)  # the first admin's server refuses, the second takes it
    with app.test_request_context():
        assert sla.send_alert(db_session, alert, transport)
    assert len(transport.sent) == 2
    assert "1 of 2 admins not reached" in caplog.text
