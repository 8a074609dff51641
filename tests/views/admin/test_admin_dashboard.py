"""The admin dashboard page: admins only, counts in tables under each chart, dates checked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from intake.models import Contact, Submission
from intake.models.base import utcnow
from intake.services.ops import dashboard
from tests.conftest import field_errors
from tests.views.conftest import make_user, sign_in

PAGE = "/admin/"


@pytest.fixture
def admin(client, login_as):
    return login_as("admin")


def _today(app):
    from zoneinfo import ZoneInfo

    return dashboard.today(ZoneInfo(app.config["STAFF_TIMEZONE"]))


def _cells(html: str, caption: str) -> str:
    """The "All days" row of the table with this caption, as 'a|b|c'."""
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    row = table.split("<tfoot>", 1)[1]
    return "|".join(re.findall(r"<td>(.*?)</td>", row))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_advocates_are_refused(client, login_as):
    login_as("advocate")
    assert client.get(PAGE).status_code == 403


def test_the_page_shows_the_week_in_charts_and_tables(client, admin, db_session):
    now = utcnow()
    for n, form in enumerate(("guide", "guide", "callback")):
        db_session.add(Submission(form=form, submission_key=f"dash-{n}",
                                  received_at=now - timedelta(minutes=30)))  # fmt: skip
    db_session.add(Contact(first_name="Zebulon", last_name="Quartermaine"))
    db_session.flush()
    response = client.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _cells(html, "Requests per day, by form") == "2|1|3"
    assert html.count("<svg") >= 6 and 'role="img"' in html
    assert "Eastern Time (New York)" in html  # the zone the days are counted in is named
    assert "No partner API yet" in html
    assert "listings in all" in html  # the listing counts are still on the page
    assert "Zebulon" not in html and "Quartermaine" not in html  # counts only
    assert "style=" not in html.split("<main", 1)[-1]  # the CSP allows no inline styles
    assert 'name="from"' in html and 'name="to"' in html


def test_a_chosen_range_is_shown(app, client, admin):
    last = _today(app) - timedelta(days=1)
    first = last - timedelta(days=29)
    response = client.get(f"{PAGE}?from={first.isoformat()}&to={last.isoformat()}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "(30 days)" in html
    assert html.count('<tr><th scope="row">') >= 30


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "Use a date like 2026-11-29."),
        ("from=yesterday", "Use a date like 2026-11-29."),
        ("to=2026-02-30", "Use a date like 2026-11-29."),
        ("from=0001-01-01", "Choose a day from 2000 onwards."),
        ("to=9999-12-31", "Choose a day up to today"),
        ("from=2026-01-10&to=2026-01-01", "The end date is before the start date."),
        ("from=2026-01-01&to=2026-06-30", "Choose at most 92 days."),
    ],
)
def test_bad_dates_are_said_at_their_field_never_a_500(client, admin, query, message):
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    errors = field_errors(response)
    assert len(errors) == 1 and errors[0].startswith(message)
    html = response.get_data(as_text=True)
    assert "showing the last 7 days instead" in html and 'aria-invalid="true"' in html


def test_a_start_in_the_future_is_refused(app, client, admin):
    tomorrow = _today(app) + timedelta(days=1)
    response = client.get(f"{PAGE}?from={tomorrow.isoformat()}")
    assert response.status_code == 400
    assert field_errors(response) == ["The start date is in the future."]


def test_a_signed_in_admin_with_totp_sees_it(client, db_session):
    user = make_user(db_session, "admin", "dash@staff.example.org")
    assert sign_in(client, db_session, user).status_code == 303
    assert client.get(PAGE).status_code == 200


def test_the_queue_depth_says_when_it_was_sampled_and_ends_with_now(
    client, admin, db_session, monkeypatch
):
    from datetime import UTC, datetime

    from tests.services.ops.test_dashboard import _item

    now = datetime(2026, 12, 5, 13, 43, tzinfo=UTC)  # 08:43 in New York
    monkeypatch.setattr(dashboard, "utcnow", lambda: now)
    for minute in range(5, 45, 5):
        _item(db_session, datetime(2026, 12, 5, 13, minute, tzinfo=UTC))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Sampled on the hour; the last point is now, 08:43." in html
    table = html.split("<caption>Open queue items through Dec 5</caption>", 1)[1]
    assert '<th scope="row">08:00</th><td>0</td>' in table
    assert '<th scope="row">Now, 08:43</th><td>8</td>' in table
    assert 'class="chart__dot chart__dot--now"' in html
