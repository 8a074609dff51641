"""The public /match page: form, ranked cards with reasons, form errors, honest empty results."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from intake.matching.types import MatchQuery
from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo
from tests.conftest import field_errors

NOTICE = "Information only, not medical advice"
PERITONEAL_NYC = {"cancer_type": "peritoneal", "zip": "10001", "max_miles": "250", "stage": "2"}


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The 150 fictional demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def _page(client: Any, **params: str) -> tuple[int, str]:
    response = client.get("/match", query_string=params)
    assert response.mimetype == "text/html"
    return response.status_code, response.get_data(as_text=True)


def _cards(page: str) -> list[str]:
    return re.findall(
        r'<li class="match-card match-card--tier\d[^"]*">(.*?)</li>'
        r'\s*(?=<li class="match-card|</ol>)',
        page,
        re.S,
    )


def test_the_empty_form_renders_accessibly(client, demo):
    status, page = _page(client)
    assert status == 200
    assert NOTICE in page and "directory, not a recommendation" in page and "made up" in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1
    for name in ("zip", "stage", "cell_type", "language", "max_miles", "telehealth"):
        assert f'<label for="{name}">' in page, name
    assert "<legend>Type of mesothelioma</legend>" in page
    assert 'method="get"' in page and 'name="csrf_token"' not in page
    assert "match-card" not in page and "error-summary" not in page
    assert "/static/css/match.css" in page
    assert 'href="/match" aria-current="page"' in page


def test_peritoneal_near_10001_lists_the_engines_ranking_with_reasons(client, demo):
    status, page = _page(client, **PERITONEAL_NYC)
    assert status == 200
    query = MatchQuery("10001", "peritoneal", stage="2", max_miles=250.0, limit=21)
    expected = match_query.find_matches(demo, query)
    assert expected
    cards = _cards(page)
    assert len(cards) == min(len(expected), 20)
    # the page groups by section: what the case needs first, then care close to home
    shown = expected[:20]
    in_order = [m for m in shown if m.section != "support"]
    in_order += [m for m in shown if m.section == "support"]
    for card, match in zip(cards, in_order, strict=False):
        assert html.escape(match.listing.name) in card
        assert f"{match.distance_miles:.1f} miles</strong> from 10001" in card
        for reason in match.reasons[:-1]:  # the distance has its own line
            assert html.escape(reason[1:]) in card
    count = len(cards)
    noun = "specialist treats" if count == 1 else "specialists treat"
    assert f"{count} {noun} peritoneal mesothelioma within 250 miles of 10001" in page
    assert '<ol class="match-list">' in page and 'id="results"' in page
    assert "fair" not in page.lower()


def test_the_advocate_link_carries_the_query_and_prefills_the_callback_form(client, demo):
    _, page = _page(client, **PERITONEAL_NYC, veteran="yes")
    link = re.search(r'<a class="button" href="([^"]+)">Ask a patient advocate to help', page)
    assert link
    url = urlsplit(html.unescape(link.group(1)))
    assert url.path == "/callback"
    args = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert args == {"diagnosis_type": "peritoneal", "stage": "2", "zip": "10001", "veteran": "yes"}

    form = client.get(f"/callback?{url.query}").get_data(as_text=True)
    assert re.search(r'<option selected value="peritoneal">', form)
    assert re.search(r'<option selected value="2">', form)
    assert 'name="zip" type="text" value="10001"' in form or 'value="10001"' in form
    assert re.search(r'checked id="veteran-0" name="veteran" type="radio" value="yes"', form)


def test_the_callback_form_prefill_ignores_junk(client):
    page = client.get("/callback?zip=<script>&diagnosis_type=lung").get_data(as_text=True)
    assert "<script>" not in page
    assert (
        "selected" not in re.search(r'<select[^>]*name="diagnosis_type".*?</select>', page, re.S)[0]
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"zip": "00000"}, "zip", "We could not find that ZIP code"),
        ({"zip": "1234"}, "zip", "Please enter a 5-digit ZIP code"),
        ({"zip": "abcde"}, "zip", "Please enter a 5-digit ZIP code"),
        ({"zip": ""}, "zip", "Please enter a ZIP code"),
        ({"cancer_type": "lung"}, "cancer_type", "Please choose the type of mesothelioma"),
        ({"cancer_type": ""}, "cancer_type", "Please choose the type of mesothelioma"),
        ({"max_miles": "37"}, "max_miles", "Please choose one of the options"),
        ({"stage": "9"}, "stage", "Please choose one of the options"),
    ],
)
def test_bad_input_is_a_form_error_next_to_the_field(client, demo, params, field, message):
    response = client.get("/match", query_string={**PERITONEAL_NYC, **params})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-summary"' in page and "<title>Error:" in page
    assert re.search(rf'<p class="field-error" id="{field}-error">', page)
    assert [e for e in field_errors(response) if e.startswith(message)], field_errors(response)
    assert "match-card" not in page and "We found no specialists" not in page


def test_nothing_found_says_so_and_offers_wider_searches_and_an_advocate(client, demo):
    status, page = _page(client, cancer_type="testicular", zip="59001", max_miles="25")
    assert status == 200
    assert (
        "We found no specialists who treat testicular mesothelioma within 25 miles of 59001" in page
    )
    assert "match-card" not in page
    links = [html.unescape(u) for u in re.findall(r'<li><a href="([^"]+)">', page)]
    assert any("max_miles=50" in u for u in links)
    assert any("telehealth=y" in u for u in links)
    assert "Ask a patient advocate to help with this match" in page


@pytest.mark.parametrize("need", ["treatment", "second_opinion", "clinical_trial", "palliative"])
def test_care_close_to_home_holds_only_supportive_care_within_reach(client, demo, need):
    params = {"cancer_type": "pleural", "zip": "94103", "stage": "4", "need": need}
    status, page = _page(client, **params)
    assert status == 200
    query = MatchQuery("94103", "pleural", stage="4", need=need, limit=21)
    expected = match_query.find_matches(demo, query)[:20]
    close = [m for m in expected if m.section in ("best", "support")]
    close = [m for m in close if m.listing.specialty in ("palliative_care", "pulmonology")]
    # under the palliative need, supportive care within reach is what the case needs first
    title = "Care for symptoms within 500 miles of 94103" if need == "palliative" else None
    title = title or "Care close to home"
    assert title in page
    heading = page.index(title)
    section = page[heading : page.find("</ol>", heading)]
    assert len(_cards(section + "</ol>")) == len(close)
    for match in close:
        assert html.escape(match.listing.name) in section
    assert "close to home" not in page.lower().replace("care close to home", "").replace(
        "help with symptoms close to home", ""
    )
