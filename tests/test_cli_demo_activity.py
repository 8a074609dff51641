"""`intake demo activity`: a made-up week for the dashboard, refused outside the demo."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from intake.dashboard.figures import DayRange
from intake.models import Contact, OutboxMessage, Submission
from intake.services.ops import dashboard
from tests.views.conftest import make_user


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["demo", "activity", *args])


def test_refused_on_a_real_database_without_the_flag(app, db_session):
    result = _run(app, "--days", "2")
    assert result.exit_code != 0
    assert "--yes-this-is-not-production" in result.output
    assert db_session.scalar(select(func.count()).select_from(Submission)) == 0


def test_says_what_is_missing_without_an_advocate(app, db_session):
    result = _run(app, "--yes-this-is-not-production")
    assert result.exit_code != 0 and "intake demo" in result.output


def test_a_week_of_activity_fills_the_dashboard(app, db_session):
    make_user(db_session, "advocate")
    result = _run(app, "--days", "7", "--seed", "12", "--yes-this-is-not-production")
    assert result.exit_code == 0, result.output
    assert "Demo activity over 7 days" in result.output
    zone = ZoneInfo(app.config["STAFF_TIMEZONE"])
    today = dashboard.today(zone)
    figures = dashboard.build(db_session, DayRange(today - timedelta(days=7), today, zone))
    assert sum(figures.requests["guide"]) > 10 and sum(figures.requests["callback"]) > 10
    assert figures.waiting_calls > 10
    assert any(d.median is not None for d in figures.delays)
    assert figures.contact_total.spoke > 0
    assert sum(figures.emails["sent"]) > 10
    # spread over the week, not all today
    assert sum(1 for n in figures.requests["guide"] if n) >= 5
    # clearly fictional people, and nothing left for the worker to send or match
    names = {c.last_name for c in db_session.scalars(select(Contact))}
    assert all(name.startswith("Person ") for name in names)
    emails = {c.email for c in db_session.scalars(select(Contact))}
    assert all(email.endswith("@example.org") for email in emails)
    phones = {c.phone for c in db_session.scalars(select(Contact)) if c.phone}
    assert phones and all(p[5:9] == "5550" for p in phones)
    open_jobs = select(func.count()).select_from(OutboxMessage)
    assert db_session.scalar(open_jobs.where(OutboxMessage.processed_at.is_(None))) == 0
