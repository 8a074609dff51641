"""The public journeys in a real browser: keyboard, errors, confirmation, double clicks."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from intake.models import CallbackRequest, ConsentRecord, GuideRequest, Submission
from tests.e2e.conftest import screenshot
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _built_by_the_worker(session, model) -> int:
    """Wait until the worker has processed every received form; then count ``model`` rows."""

    def all_processed():
        session.expire_all()
        rows = session.scalars(select(Submission)).all()
        return rows and all(row.processed_at for row in rows)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all_processed():
        time.sleep(0.1)
    if not all_processed():
        # The announcement can be swallowed by the previous test's in-thread worker, whose
        # Redis connection may still hold a blocking pop; production's safety net for any
        # lost announcement is beat's sweep, so do what beat does.
        from flask import current_app

        current_app.extensions["celery"].send_task("submissions.sweep")
    wait_for(all_processed, what="the worker to process the received forms")
    return _count(session, model)


def test_callback_journey_with_a_forgotten_consent_box(live_server, worker, page, committed_db):
    page.goto(live_server + "/")
    screenshot(page, "landing")
    page.get_by_role("link", name="Talk to a patient advocate").first.click()
    assert page.url.endswith("/callback")

    page.get_by_label("First name", exact=True).fill("Zoë")
    page.get_by_label("Phone number", exact=True).fill("(212) 555-0143")
    page.get_by_label("Your ZIP code").fill("10001")
    page.get_by_label("Spouse or partner").check()
    page.get_by_label("Type of mesothelioma").select_option("pleural")
    page.get_by_label("Stage", exact=True).select_option("4")
    page.get_by_role("button", name="Please call me").click()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    # forms.js (a deferred script) moves focus there once the page is parsed: wait for it, and
    # fail if it never happens
    focused = "document.activeElement && document.activeElement.id === 'error-summary'"
    page.wait_for_function(focused, timeout=10_000)
    assert "Please tick the box so we are allowed to call you." in summary.inner_text()
    assert (
        page.get_by_label("First name", exact=True).input_value() == "Zoë"
    )  # nothing typed is lost
    screenshot(page, "callback-error")
    assert _count(committed_db, Submission) == 0

    summary.get_by_role("link").first.click()  # the summary link moves focus to the box
    assert page.evaluate("document.activeElement.id") == "consent_calls"
    page.keyboard.press("Space")  # ticked from the keyboard
    page.get_by_role("button", name="Please call me").click()

    assert "/callback/thanks" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you, we'll call you"
    screenshot(page, "callback-thanks")
    assert _built_by_the_worker(committed_db, CallbackRequest) == 1
    assert _count(committed_db, ConsentRecord) == 1
    assert page.external_requests == []


def test_guide_by_mail_reveals_the_address_and_a_double_click_sends_once(
    live_server, worker, page, committed_db
):
    page.goto(live_server + "/guide")
    address = page.get_by_label("Street address", exact=True)
    assert not address.is_visible()  # hidden until a printed copy is wanted
    page.get_by_label("First name", exact=True).fill("Robert")
    page.get_by_label("Email address", exact=True).fill("robert@example.com")
    page.get_by_label("I am the patient").check()
    page.get_by_label("Also mail me a printed copy").check()
    assert address.is_visible()
    address.fill("12 Elm Street")
    page.get_by_label("City", exact=True).fill("Springfield")
    page.get_by_label("State", exact=True).select_option("IL")
    page.get_by_label("ZIP code", exact=True).fill("62701")
    screenshot(page, "guide-filled")

    page.get_by_role("button", name="Send me the free guide").dblclick()
    page.wait_for_url("**/guide/thanks**")
    assert "your guide is on its way" in page.get_by_role("heading", level=1).inner_text()
    assert "printed copy" in page.content()
    screenshot(page, "guide-thanks")
    assert _count(committed_db, Submission) == 1
    assert _built_by_the_worker(committed_db, GuideRequest) == 1
    assert page.external_requests == []


def test_the_forms_work_without_javascript(live_server, worker, browser, committed_db):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(live_server + "/guide")
    assert tab.get_by_label(
        "Street address", exact=True
    ).is_visible()  # no script: the address is just shown
    tab.get_by_label("First name", exact=True).fill("Ann")
    tab.get_by_label("Email address", exact=True).fill("ann@example.com")
    tab.get_by_label("Son or daughter").check()
    tab.get_by_role("button", name="Send me the free guide").click()
    assert "/guide/thanks" in tab.url
    context.close()
    assert _built_by_the_worker(committed_db, GuideRequest) == 1
