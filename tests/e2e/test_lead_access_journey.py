"""An advocate in a real browser opens a lead that is not theirs (our own page, back to the
queue) and reads their own call back ahead of time (read-only); both pages pass axe-core."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from intake.models.base import utcnow
from tests.e2e.conftest import screenshot
from tests.e2e.test_advocate_console import _serious_violations
from tests.services.queue.test_queue import ask
from tests.views.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]
REVIEW = Path("/tmp/shots-i24-staffday")


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/advocate/")


def _keep(page, name: str) -> None:
    screenshot(page, name)
    REVIEW.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(REVIEW / f"{name}-{width}.png"), full_page=True)


def test_a_lead_not_mine_and_my_call_back_read_ahead(live_server, page, committed_db):
    ana = make_user(committed_db, "advocate", "ana@staff.example.org", ["es"])
    stranger = ask(committed_db, state="NY")
    mine = ask(committed_db, state="CA")
    mine.status, mine.attempts, mine.preferred_advocate_id = "retry_scheduled", 1, ana.id
    mine.callable_from = utcnow() + timedelta(hours=5)
    committed_db.commit()
    _sign_in(page, live_server, ana.email)

    response = page.goto(f"{live_server}/advocate/leads/{stranger.id}")
    assert response.status == 403
    text = page.locator("main").inner_text()
    assert "This call is not yours to open" in text and "Nobody has claimed this call yet" in text
    for framework in ("Forbidden", "You don't have the permission", "The server could not"):
        assert framework not in page.content()
    assert _serious_violations(page) == []
    _keep(page, "lead-not-yours")
    page.get_by_role("link", name="Back to the queue").click()
    page.wait_for_url("**/advocate/")
    assert page.get_by_role("heading", name="Callback queue").is_visible()

    page.get_by_role("link", name="My call backs").click()
    page.wait_for_url("**/advocate/callbacks")
    _keep(page, "my-call-backs")
    page.get_by_role("link", name="Read ahead").click()
    page.wait_for_url(f"**/advocate/leads/{mine.id}")
    banner = page.locator(".banner--gentle").first.inner_text()
    assert "Read only: your call back is due" in banner and "their time" in banner
    assert page.get_by_role("button", name="Save the outcome").count() == 0
    assert page.get_by_role("heading", name="Matched specialists").is_visible()
    assert _serious_violations(page) == []
    _keep(page, "lead-read-ahead")
