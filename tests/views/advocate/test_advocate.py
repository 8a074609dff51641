"""The advocate console: who may see what, claim next, a lead's page, outcomes, audit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from intake.cli import main as intake_cli
from intake.models import AuditEvent, QueueItem
from tests.conftest import GOOD_CALLBACK, submit
from tests.views.conftest import csrf_token, make_user, post_form


@pytest.fixture
def queued(client, db_session):
    """Maria's callback request, processed and queued, callable now."""
    submit(client, "/callback", GOOD_CALLBACK, best_time="asap")
    from intake.models import CallbackRequest
    from intake.services.inbox import callbacks

    request = db_session.scalars(select(CallbackRequest)).one()
    callbacks.queue_callback(db_session, request.id)
    item = db_session.scalars(select(QueueItem)).one()
    item.callable_from = datetime(2026, 1, 1, tzinfo=UTC)  # long callable
    db_session.flush()
    return item


@pytest.fixture
def always_callable(monkeypatch):
    """Calling hours allow every minute (the clock of these tests is the real one)."""
    from intake import calling

    real = calling.check

    def allowed(place, at, chosen=None, recent=()):
        decision = real(place, at, chosen, recent)
        return type(decision)(True, decision.local_time, decision.window, decision.rule,
                              decision.local_time, "")  # fmt: skip

    monkeypatch.setattr(calling, "check", allowed)


def _actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_advocate_lands_on_the_console_and_the_queue_shows_no_personal_data(
    client, db_session, login_as, queued
):
    login_as("advocate", skills=["es"])
    home = client.get("/advocate/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and home.headers["Cache-Control"] == "no-store"
    assert "Claim next call" in html and "Maria" in html and "NY" in html
    for private in ("Lopez", "555-0143", "maria.lopez", "10001", "pleural"):
        assert private not in html
    assert "Maria" in client.get("/advocate/queue/panel").get_data(as_text=True)


def test_patients_and_the_anonymous_cannot_reach_the_console(client, db_session, queued):
    assert client.get("/advocate/").status_code == 302
    assert client.get(f"/advocate/leads/{queued.id}").status_code == 302
    token = csrf_token(client, "/login")
    assert client.post("/advocate/claim-next", data={"csrf_token": token}).status_code == 302


def test_claim_next_opens_the_lead_audited_and_only_the_holder_may_see_it(
    client, db_session, login_as, queued, always_callable
):
    holder = login_as("advocate")
    response = post_form(client, "/advocate/claim-next", token_from="/advocate/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/advocate/leads/{queued.id}")
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "(212) 555-0143" in html and "maria.lopez@example.com" in html
    assert "Pleural" in html and "You may call now" in html
    assert _actions(db_session)[-2:] == ["queue.claim", "lead.view"]
    db_session.refresh(queued)
    assert queued.claimed_by_id == holder.id

    client.post("/logout", data={"csrf_token": csrf_token(client, "/advocate/")})
    login_as("advocate", email="other@staff.example.org")
    assert client.get(f"/advocate/leads/{queued.id}").status_code == 403
    nothing = post_form(client, "/advocate/claim-next", token_from="/advocate/")
    assert nothing.status_code == 303 and nothing.headers["Location"].endswith("/advocate/")
    assert "Nobody can be called right now" in client.get("/advocate/").get_data(as_text=True)


def test_no_answer_schedules_a_retry_shown_in_their_local_time(
    client, db_session, login_as, queued, always_callable
):
    login_as("advocate")
    post_form(client, "/advocate/claim-next", token_from="/advocate/")
    done = post_form(client, f"/advocate/leads/{queued.id}/outcome",
                     {"outcome": "no_answer", "note": "Rang 8 times."},
                     token_from=f"/advocate/leads/{queued.id}")  # fmt: skip
    assert done.status_code == 303
    message = client.get("/advocate/").get_data(as_text=True)
    assert "Saved. The next call is due" in message and "their time" in message
    db_session.refresh(queued)
    assert queued.status == "retry_scheduled" and queued.attempts == 1
    assert "queue.outcome" in _actions(db_session)


def test_a_call_back_outside_their_hours_is_refused_at_the_field(
    client, db_session, login_as, queued, always_callable, monkeypatch
):
    login_as("advocate")
    post_form(client, "/advocate/claim-next", token_from="/advocate/")
    monkeypatch.undo()  # the real calling rules judge the chosen time
    response = post_form(
        client, f"/advocate/leads/{queued.id}/outcome",
        {"outcome": "call_back_later", "scheduled_for": "2030-06-03T23:30"},
        token_from=f"/advocate/leads/{queued.id}",
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "We may not call then" in html
    assert 'id="scheduled_for-error"' in html


def test_admins_set_skills_and_shifts(client, db_session, login_as):
    login_as("admin")
    who = make_user(db_session, "advocate", "ana@staff.example.org")
    page = f"/admin/staff/{who.id}"
    bad = post_form(client, page, {"skills": "es", "timezone": "Mars/Base", "shifts": ""})
    assert bad.status_code == 400 and "Use a time zone name" in bad.get_data(as_text=True)
    worse = post_form(client, page, {"skills": "es", "timezone": "America/Chicago",
                                     "shifts": "Someday 9-5"})  # fmt: skip
    assert worse.status_code == 400 and "write days then hours" in worse.get_data(as_text=True)
    good = post_form(client, page, {"skills": "ES, va", "timezone": "America/Chicago",
                                    "shifts": "Mon-Fri 09:00-17:30\nSat 10:00-14:00"})  # fmt: skip
    assert good.status_code == 303
    db_session.refresh(who)
    assert who.skills == ["es", "va"] and who.timezone == "America/Chicago"
    assert who.shifts[1] == {"days": [5], "start": "10:00", "end": "14:00"}
    assert "Mon-Fri 09:00-17:30" in client.get("/admin/staff").get_data(as_text=True)


def test_the_cli_lists_the_queue_without_personal_data(app, db_session, queued):
    result = app.test_cli_runner().invoke(intake_cli, ["queue", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert set(row) == {"id", "status", "priority", "timezone", "callable_from", "attempts",
                        "claimed_by"}  # fmt: skip
    assert row["callable_from"].endswith("+00:00") and row["timezone"] == "America/New_York"
    assert "Maria" not in result.output and "0143" not in result.output
    text = app.test_cli_runner().invoke(intake_cli, ["queue", "list"])
    assert "1 open callback item(s)." in text.output


@pytest.mark.parametrize(
    ("args", "allowed", "window", "rule"),
    [
        (
            ["--zip", "10001", "--at", "2026-11-30T10:00:00-05:00"],
            True,
            ["08:00", "21:00"],
            "federal",
        ),
        (["--zip", "33101", "--at", "2026-11-30T20:30:00-05:00"], False, ["08:00", "20:00"], "FL"),
        (["--zip", "70112", "--at", "2026-11-29T12:00:00-06:00"], False, None, "LA"),
    ],
)
def test_calling_hours_prints_the_answer_as_json(app, args, allowed, window, rule):
    result = app.test_cli_runner().invoke(intake_cli, ["calling-hours", *args])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"zip", "state", "timezone", "local_time", "allowed", "window", "rule",
                           "next_allowed_at"}  # fmt: skip
    assert (answer["allowed"], answer["window"], answer["rule"]) == (allowed, window, rule)
    if allowed:
        assert answer["next_allowed_at"] == answer["local_time"]


def test_calling_hours_refuses_an_unknown_zip_in_one_line(app):
    result = app.test_cli_runner().invoke(intake_cli, ["calling-hours", "--zip", "00000"])
    assert result.exit_code != 0 and "not a US ZIP code" in result.output
    assert len(result.output.strip().splitlines()) == 1


def reference_of(client, response) -> str:
    """The reference a person reads on their thank-you page."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    found_ = re.search(r"Your reference: <strong>([0-9]+-[A-Z2-7]{5})</strong>", page)
    assert found_, "the thank-you page gives no reference"
    return found_.group(1)


def test_a_family_member_is_linked_by_the_reference_they_read_out_and_unlinked(
    client, db_session, login_as, queued, always_callable
):
    from intake.models import CaseContact, Contact

    # her son asked for the guide with his own email: another contact, same patient
    sent = submit(client, "/guide", {"first_name": "Luis", "email": "luis@example.com",
                                     "relationship": "child", "topics": ["treatment"],
                                     "deliver_email": "y"})  # fmt: skip
    reference = reference_of(client, sent)
    from intake.services.people.contacts import email_hash

    luis = db_session.scalars(
        select(Contact).where(Contact.email_hash == email_hash("luis@example.com"))
    ).one()
    login_as("advocate")
    post_form(client, "/advocate/claim-next", token_from="/advocate/")
    lead_page = f"/advocate/leads/{queued.id}"
    refused = []
    for attempt in (
        {"person": str(luis.id)},  # not offered on this page: no shared point
        {"reference": "1-AAAAA"},  # no such reference
        {"reference": reference[:-1] + ("A" if reference[-1] != "A" else "B")},
    ):
        data = {**attempt, "relationship": "child"}
        response = post_form(client, lead_page + "/household", data, token_from=lead_page)
        assert response.status_code == 400
        said = re.findall(r"link that person from this lead[^<]*", response.get_data(True))
        refused.append(said)
    assert refused[0] == refused[1] == refused[2] and refused[0]  # one answer, no oracle
    linked = post_form(client, lead_page + "/household",
                       {"reference": reference.lower(), "relationship": "child"},
                       token_from=lead_page)  # fmt: skip
    assert linked.status_code == 303
    links = select(CaseContact).where(CaseContact.case_id == queued.callback_request.case_id)
    relations = {link.relation for link in db_session.scalars(links)}
    assert relations == {"spouse_partner", "child"}
    html = client.get(lead_page).get_data(as_text=True)
    assert "Luis" in html and "Son or daughter" in html and "Guide request" in html
    assert "case.link_contact" in _actions(db_session)
    undone = post_form(client, f"{lead_page}/household/{luis.id}/unlink", {},
                       token_from=lead_page)  # fmt: skip
    assert undone.status_code == 303
    relations = {link.relation for link in db_session.scalars(links)}
    assert relations == {"spouse_partner"}
    assert "case.unlink_contact" in _actions(db_session)
    assert db_session.get(Contact, luis.id).first_name == "Luis"  # his own record stays


def test_the_lead_page_shows_each_recorded_match_with_its_tier(
    client, db_session, login_as, queued, always_callable
):
    from intake.models import CallbackRequest
    from intake.services.directory import match_query, specialists

    assert specialists.load_demo(db_session).ok
    match_query.invalidate()
    case_id = db_session.get(CallbackRequest, queued.callback_request_id).case_id
    assert match_query.record_case_matches(db_session, case_id) > 0
    db_session.flush()
    login_as("advocate")
    opened = post_form(client, "/advocate/claim-next", token_from="/advocate/")
    html = client.get(opened.headers["Location"]).get_data(as_text=True)
    match_query.invalidate()
    assert "Matched specialists" in html and "Tier 1: fits this stage" in html
    assert "fair spread" in html  # the tie-breaker is for staff eyes, on the recorded matches
