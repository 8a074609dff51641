"""WCAG 2.1 A/AA checks with axe-core (shipped inside axe-playwright-python) on every public page.

Automated checks catch about a third of accessibility problems (contrast,
labels, landmarks, ARIA misuse); the journeys in test_public_journeys.py
cover keyboard use and focus.
"""

from __future__ import annotations

import pytest

from intake.services.directory import match_query, specialists

pytestmark = [pytest.mark.browser, pytest.mark.committed]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def demo_listings(committed_db):
    assert specialists.load_demo(committed_db).ok
    committed_db.commit()
    match_query.invalidate()
    yield
    match_query.invalidate()


def _violations(page) -> str:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return "" if results.violations_count == 0 else results.generate_report()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/guide",
        "/callback",
        "/privacy",
        "/match",
        "/match?cancer_type=peritoneal&zip=10001&max_miles=250",
        "/match?cancer_type=pleural&zip=00000",  # the error state
        "/login",
        "/no-such-page",
    ],
)
def test_public_pages_have_no_wcag_aa_violations(live_server, page, demo_listings, path):
    page.goto(live_server + path)
    assert _violations(page) == ""


@pytest.mark.parametrize("form", ["/guide", "/callback"])
def test_forms_showing_errors_have_no_wcag_aa_violations(live_server, page, form):
    page.goto(live_server + form)
    page.locator("button[type=submit]").click()
    assert page.locator("#error-summary").is_visible()
    assert _violations(page) == ""
