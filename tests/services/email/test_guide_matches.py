"""The guide's "Specialists near you" lists the API's first results: order, sections, reasons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from intake.matching import sections
from intake.models import Contact, GuideRequest
from intake.models.contact import Case
from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo
from intake.services.email import guides


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def _guide(session: Any, zip_code: str, stage: str, language: str) -> Any:
    case = Case(diagnosis_type="pleural", stage=stage, cell_type=None, veteran=False, zip=zip_code)
    request = GuideRequest(language=language, case=case, topics=[])
    return guides.personal_for(session, request, Contact(first_name="Ann"))


@pytest.mark.parametrize(
    ("zip_code", "language"),
    [("60601", "en"), ("10001", "es"), ("94103", "es"), ("59801", "en")],
)
def test_the_guide_lists_the_apis_first_results_in_its_sections(client, demo, zip_code, language):
    personal = _guide(demo, zip_code, "4", language)
    params = {"zip": zip_code, "cancer_type": "pleural", "stage": "4", "language": language}
    api = client.get("/api/v1/match", query_string={**params, "telehealth": "true", "limit": 5})
    results = api.get_json()["results"]
    assert [card.name for card in personal.matches] == [r["name"] for r in results]
    for card, result in zip(personal.matches, results, strict=True):
        assert card.reasons == tuple(result["reasons"][:-1])  # the distance has its own line
        # the API answers in the reader's language too (Spanish distances as US Hispanic readers
        # write them: 1,494.3)
        far = f"{card.distance_miles:.1f} miles from {zip_code}"
        lejos = f"a {card.distance_miles:,.1f} millas de {zip_code}"
        assert result["reasons"][-1] == (lejos if language == "es" else far)
        title = sections.title(result["section"], "treatment", zip_code, 500.0, language)
        assert card.section_title == title
        # a Spanish reader is told which doctors speak Spanish, and only those
        speaks = ("habla español" if language == "es" else "speaks Spanish") in card.reasons
        assert speaks == (language == "es" and "es" in result["languages"]), card


def test_a_chicago_reader_is_told_why_the_nearest_is_far(demo):
    personal = _guide(demo, "60601", "4", "en")
    distances = [card.distance_miles for card in personal.matches]
    assert distances == sorted(distances)  # all fit stage 4: nearest first
    assert {card.section_title for card in personal.matches} == {"Within 500 miles of 60601"}
    assert personal.matches_note.startswith(
        "The nearest specialist who fits your stage is 200.6 miles away, in Ann Arbor, MI"
    )
    assert any(card.telehealth for card in personal.matches)
    assert personal.matches_note.endswith(
        'Those marked "Offers video visits" can see you by video.'
    )
    spanish = _guide(demo, "60601", "4", "es")
    assert spanish.matches_note.startswith(
        "El especialista más cercano que se ajusta a su etapa está a 200.6 millas, en Ann Arbor"
    )


def test_no_far_note_when_a_fitting_specialist_is_near(demo):
    assert _guide(demo, "94103", "4", "en").matches_note == ""
