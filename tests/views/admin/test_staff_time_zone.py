"""One zone for every time on staff pages (``STAFF_TIMEZONE``, New York unless set), named on
the page; a zone that does not exist stops the service before it starts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake import config
from intake.models import AuditEvent
from tests.views.conftest import make_user

# 2:14:05 PM in New York, 11:14:05 AM in Los Angeles, on a day that is not UTC's next one
AFTERNOON = datetime(2026, 11, 29, 19, 14, 5, tzinfo=UTC)
# 10 PM on Nov 29 in New York, but already Nov 30 in UTC
LATE_EVENING = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_the_default_zone_is_new_york_and_a_wrong_one_stops_the_start(monkeypatch):
    monkeypatch.delenv("STAFF_TIMEZONE", raising=False)
    assert config.staff_timezone() == "America/New_York"
    monkeypatch.setenv("STAFF_TIMEZONE", "America/Chicago")
    assert config.staff_timezone() == "America/Chicago"
    for wrong in ("Eastern", "Mars/Base", "../etc/passwd"):
        monkeypatch.setenv("STAFF_TIMEZONE", wrong)
        with pytest.raises(RuntimeError, match="STAFF_TIMEZONE=.* is not a time zone name"):
            config.staff_timezone()


def test_the_command_line_stops_with_one_clear_line(monkeypatch):
    from click.testing import CliRunner

    from intake.cli import main

    monkeypatch.setenv("STAFF_TIMEZONE", "Eastern")
    result = CliRunner().invoke(main, ["db", "current"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: STAFF_TIMEZONE='Eastern' is not a time zone name" in result.output


def _event(db_session, action: str, at: datetime, lead: int) -> None:
    # written with its time: the log refuses any change once a row is in
    db_session.add(AuditEvent(actor_label="cli", action=action, target_type="queue_item",
                              target_id=str(lead), detail={}, at=at))  # fmt: skip
    db_session.flush()


def test_the_audit_log_shows_and_filters_by_the_teams_zone(client, db_session, login_as):
    login_as("admin")
    _event(db_session, "lead.view", AFTERNOON, 5001)
    page = client.get("/admin/audit?lead=5001").get_data(as_text=True)
    assert "Nov 29, 2026, 2:14:05 PM EST" in page and "19:14" not in page
    assert "Times and days are Eastern Time (New York)" in page and "(UTC" not in page
    assert "Times are Eastern Time (New York)" in page

    _event(db_session, "lead.view", LATE_EVENING, 5002)
    on_the_29th = client.get("/admin/audit?lead=5002&since=2026-11-29&until=2026-11-29").text
    assert "queue_item 5002" in on_the_29th  # 10 PM on the 29th, in New York
    on_the_30th = client.get("/admin/audit?lead=5002&since=2026-11-30&until=2026-11-30").text
    assert "Nothing matches" in on_the_30th


def test_the_audit_log_follows_the_setting(app, client, db_session, login_as, monkeypatch):
    login_as("admin")
    _event(db_session, "lead.view", AFTERNOON, 5003)
    monkeypatch.setitem(app.config, "STAFF_TIMEZONE", "America/Los_Angeles")
    page = client.get("/admin/audit?lead=5003").get_data(as_text=True)
    assert "Nov 29, 2026, 11:14:05 AM PST" in page
    assert "Times are Pacific Time (Los Angeles)" in page


def test_the_staff_pages_say_when_someone_last_signed_in_in_the_teams_zone(
    client, db_session, login_as
):
    login_as("admin")
    ana = make_user(db_session, "advocate", "ana@staff.example.org", ["es"])
    ana.last_login_at = AFTERNOON
    db_session.flush()
    listing = client.get("/admin/staff").get_data(as_text=True)
    assert "Last signed in" in listing and "Nov 29, 2:14 PM EST" in listing
    assert "Times are Eastern Time (New York)" in listing
    settings = client.get(f"/admin/staff/{ana.id}").get_data(as_text=True)
    assert "last signed in Nov 29, 2:14 PM EST" in settings and "UTC" not in settings


def test_a_patient_of_unknown_zone_is_given_our_time_and_said_so(app, monkeypatch):
    from types import SimpleNamespace

    from intake.views.filters import local_clock

    monkeypatch.setitem(app.config, "STAFF_TIMEZONE", "America/Chicago")
    with app.app_context():
        unknown = local_clock(SimpleNamespace(timezone=None), AFTERNOON)
        known = local_clock(SimpleNamespace(timezone="America/Los_Angeles"), AFTERNOON)
    assert unknown == "Sun 1:14 PM CST (our time; their zone is unknown)"
    assert known == "Sun 11:14 AM PST"
