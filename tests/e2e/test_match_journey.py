"""Finding a specialist in a real browser, then asking an advocate about that match."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_a_family_finds_peritoneal_specialists_and_asks_for_help(live_server, page, demo_listings):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Find a specialist").first.click()
    page.get_by_label("Peritoneal (lining of the abdomen)").check()
    page.get_by_label("ZIP code", exact=True).fill("1000")  # one digit short
    page.get_by_role("button", name="Show specialists").click()
    assert "5-digit" in page.locator("#error-summary").inner_text()
    screenshot(page, "match-error")

    page.get_by_label("ZIP code", exact=True).fill("10001")
    page.get_by_label("How far can you travel?").select_option("250")
    page.get_by_role("button", name="Show specialists").click()
    heading = page.locator("#results-heading").inner_text()
    assert "treat peritoneal mesothelioma within 250 miles of 10001" in heading
    cards = page.locator(".match-results article, .match-results li.match-card")
    assert cards.count() > 0
    first = cards.first.inner_text()
    assert "cytoreductive surgery with HIPEC" in first and "miles from 10001" in first
    assert cards.first.get_by_role("link", name="Call").get_attribute("href").startswith("tel:")
    visible = page.locator(".match-results li.match-card:visible").count()
    more = page.locator("summary", has_text="more specialist")
    if more.count():  # five first, the rest behind "show more"
        assert visible == 5 + page.locator(".match-close li.match-card").count()
        more.first.click()
        assert page.locator(".match-results li.match-card:visible").count() > visible
    screenshot(page, "match-results")
    assert page.external_requests == []

    page.get_by_role("link", name="Ask a patient advocate to help with this match").click()
    assert page.url.split("?")[0].endswith("/callback")
    assert page.get_by_label("Your ZIP code").input_value() == "10001"
    assert page.get_by_label("Type of mesothelioma").input_value() == "peritoneal"
