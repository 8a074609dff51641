"""An advocate's day in a real browser: sign in, claim the next call, log "no answer", see when
the retry is due in the patient's own time; the console passes axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from intake.models import QueueItem
from tests.e2e.conftest import screenshot
from tests.services.queue.test_queue import ask
from tests.views.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]

SERIOUS = {"serious", "critical"}


@pytest.fixture
def always_callable(monkeypatch):
    """Every minute is inside calling hours for the claim (the retry uses the real rules)."""
    from intake import calling

    real = calling.check

    def allowed(place, at, chosen=None, recent=()):
        decision = real(place, at, chosen, recent)
        return type(decision)(True, decision.local_time, decision.window, decision.rule,
                              decision.local_time, "")  # fmt: skip

    monkeypatch.setattr(calling, "check", allowed)


def _serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v.get("impact") in SERIOUS]


def test_claim_log_no_answer_and_see_the_retry_in_their_time(
    live_server, page, committed_db, always_callable
):
    make_user(committed_db, "advocate", "ana@staff.example.org", ["es"])
    item = ask(committed_db, state="CA", best_time="asap")
    item.callable_from = datetime(2026, 1, 1, tzinfo=UTC)
    committed_db.commit()

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("ana@staff.example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/advocate/")
    assert page.get_by_role("heading", name="Callback queue").is_visible()
    assert _serious_violations(page) == []
    screenshot(page, "advocate-queue")

    page.keyboard.press("n")  # the shortcut for "Claim next call"
    page.wait_for_url(re.compile(r".*/advocate/leads/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Caller")
    assert _serious_violations(page) == []
    screenshot(page, "advocate-lead")

    page.keyboard.press("3")  # "No answer"
    assert page.get_by_label("No answer").is_checked()
    page.get_by_label("Note for the next advocate").fill("Rang ten times, no voicemail.")
    page.get_by_role("button", name="Save the outcome").click()
    page.wait_for_url("**/advocate/")
    message = page.locator(".flash").inner_text()
    assert "The next call is due" in message and "their time" in message
    committed_db.expire_all()
    stored = committed_db.scalars(select(QueueItem)).one()
    assert stored.status == "retry_scheduled" and stored.attempts == 1
    local = stored.callable_from.astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    assert local.strftime("%-I:%M %p") in message  # the patient's own (Pacific) time
    screenshot(page, "advocate-after-outcome")
