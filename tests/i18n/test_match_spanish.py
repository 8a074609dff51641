"""The specialist match in Spanish: the page, its reasons and headings, the form and the API.

A Spanish reader's reasons are all Spanish and still true of the listing.
The check of truth is written here from the listing's row, with its own
Spanish vocabulary (not the engine's), so a slip in either shows; and the
English words a reason could leak ("offers", "miles", "speaks") are looked for.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from intake import translator
from intake.matching.types import Listing, MatchQuery, Reason
from intake.matching.wording import Wording
from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo

# how a Spanish reader is told of each fact a listing's row may hold (written here, for the test)
SPANISH_TREATMENTS = {
    "surgery_epp": "neumonectomía extrapleural",
    "surgery_pd": "pleurectomía/decorticación",
    "crs_hipec": "HIPEC",
    "chemotherapy": "quimioterapia",
    "immunotherapy": "inmunoterapia",
    "radiation": "radioterapia",
    "clinical_trials": "ensayos clínicos",
}
SPANISH_LANGUAGES = {"es": "español", "en": "inglés", "zh": "chino", "vi": "vietnamita"}
ENGLISH_WORDS = re.compile(
    r"\b(offers|treats|performs|speaks|miles|from|the|and|with|usual|options|stage|surgery|"
    r"specialist|accepts|benefits|sees|patients|video visits?|team|of|for|lung|palliative care)\b"
)
PALLIATIVE_59801 = {"cancer_type": "pleural", "zip": "59801", "stage": "4", "need": "palliative"}
SARCOMATOID_10001 = {"cancer_type": "pleural", "zip": "10001", "stage": "3",
                     "cell_type": "sarcomatoid", "telehealth": "y"}  # fmt: skip


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The fictional demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def untrue_in_spanish(text: str, item: Listing) -> list[str]:
    """What a Spanish reason says that the listing's row does not bear out."""
    found = []
    for code, words in SPANISH_TREATMENTS.items():
        if words in text and code not in item.treatments:
            found.append(f"names {words}, not offered")
    if "cuidados paliativos" in text and not (
        item.specialty == "palliative_care" or "palliative_care" in item.treatments
    ):
        found.append("says palliative care of a listing without it")
    for code, name in SPANISH_LANGUAGES.items():
        if f"habla {name}" in text and code not in item.languages:
            found.append(f"habla {name}: not on the row")
    if "VA" in text and not item.accepts_va:
        found.append("says VA without the affiliation")
    if "video" in text and not item.telehealth:
        found.append("says video without telehealth")
    if "cerca de casa" in text:
        found.append("says close to home of a listing")
    return found


def english_in(text: str) -> list[str]:
    """English words a Spanish reader would meet (listing names and places are left out first)."""
    return ENGLISH_WORDS.findall(text)


def _cards(page: str) -> list[str]:
    return re.findall(r'<li class="match-card match-card--tier\d[^"]*">(.*?)</article>', page, re.S)


def _reasons(card: str) -> list[str]:
    listed = re.search(r'<ul class="reasons"[^>]*>(.*?)</ul>', card, re.S)
    assert listed is not None
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", listed.group(1))]


def _spanish_page(client: Any, params: dict[str, str]) -> str:
    response = client.get("/match", query_string={**params, "lang": "es"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="es"' in page
    return page


@pytest.mark.parametrize(
    "params", [PALLIATIVE_59801, SARCOMATOID_10001], ids=["palliative", "sarcomatoid"]
)
def test_every_reason_and_heading_is_spanish_and_true_of_the_listing(client, demo, params):
    page = _spanish_page(client, params)
    by_name = {html.escape(m.listing.name): m.listing for m in _all_matches(demo, params)}
    cards = _cards(page)
    assert cards, "the demo should list specialists for this case"
    for card in cards:
        name = re.search(r'class="match-card__name">(.*?)</h4>', card).group(1)
        item = by_name[name]
        reasons = _reasons(card)
        assert reasons, name
        for reason in reasons:
            words = reason.replace(item.institution.strip(), "")  # a team's place is a name
            assert not english_in(words), (name, reason)
            assert not untrue_in_spanish(reason, item), (name, reason)
        assert "millas</strong> de" in card and " miles" not in card
    headings = re.findall(r'<h3 id="section-\w+" class="match-section">(.*?)</h3>', page)
    assert headings
    for heading in headings:
        assert not english_in(heading), heading
    results = re.search(r'<h2 id="results-heading">(.*?)</h2>', page).group(1)
    assert "tratan" in results or "trata" in results, results
    for note in re.findall(r'class="match-(?:group__note|results__how)">(.*?)</p>', page, re.S):
        assert not english_in(html.unescape(re.sub(r"Dr\. [^,]+,[^,]*,", "", note))), note


def _all_matches(session: Any, params: dict[str, str]) -> list[Any]:
    query = MatchQuery(
        params["zip"], params["cancer_type"], stage=params.get("stage", "not_sure"),
        cell_type=params.get("cell_type", "not_sure"), need=params.get("need", "treatment"),
        telehealth_ok="telehealth" in params, language="es", limit=21,
    )  # fmt: skip
    return match_query.find_matches(session, query)


def test_the_sarcomatoid_lift_and_spanish_speakers_are_named_in_spanish(client, demo):
    page = _spanish_page(client, SARCOMATOID_10001)
    text = html.unescape(page)
    assert (
        "ofrece inmunoterapia, por lo general el primer tratamiento del mesotelioma sarcomatoide"
        in text.lower()
    )
    spoken = [c for c in _cards(page) if "Habla español" in _reasons(c)]
    assert spoken, "a Spanish page lifts doctors who speak Spanish, and says so"


def test_the_spanish_page_asks_the_engine_for_spanish_speakers_by_default(client, demo):
    page = _spanish_page(client, SARCOMATOID_10001)  # no language chosen on the form
    assert re.search(r'<option selected value="es">|<option value="es" selected>', page)
    first = _all_matches(demo, SARCOMATOID_10001)[0]
    assert "language" in first.lifts or "es" not in first.listing.languages


def test_the_spanish_form_speaks_spanish_and_so_do_its_errors(client, demo):
    response = client.get("/match", query_string={"zip": "", "cancer_type": "", "lang": "es"})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Encuentre un especialista en mesotelioma" in page
    assert "<legend>Tipo de mesotelioma</legend>" in page
    assert "Escriba un código postal." in page
    assert "Elija el tipo de mesotelioma, o «Todavía no lo sé»." in page
    assert "Mostrar especialistas" in page and "Show specialists" not in page


def test_the_api_answers_reasons_in_the_patients_language_with_their_codes(client, demo):
    params = {"zip": "10001", "cancer_type": "pleural", "stage": "3", "cell_type": "sarcomatoid"}
    spanish = client.get("/api/v1/match", query_string={**params, "language": "es"}).get_json()
    english = client.get("/api/v1/match", query_string=params).get_json()
    assert spanish["results"]
    for result in spanish["results"]:
        assert [r["code"] for r in result["reason_codes"]][-1] == "distance"
        assert result["reasons"][-1] == f"a {result['distance_miles']:,.1f} millas de 10001"
        for reason in result["reasons"]:
            assert not english_in(reason.replace(result["institution"], "")), reason
    first = english["results"][0]
    assert first["reasons"][-1] == f"{first['distance_miles']:.1f} miles from 10001"
    assert len(first["reason_codes"]) == len(first["reasons"])


def test_spanish_wording_reads_as_spanish():
    words = Wording("es", translator.gettext_for("es"))
    both = Reason("fits_stage", treatments=("chemotherapy", "immunotherapy"), stage="4")
    assert words.reason(both) == (
        "ofrece quimioterapia e inmunoterapia, las opciones habituales en la etapa 4"
    )
    kinds = Reason("treats", cancer_types=("pleural", "pericardial"), treatments=("radiation",))
    assert words.reason(kinds) == "trata el mesotelioma pleural y pericárdico; ofrece radioterapia"
    assert words.reason(Reason("language", language="es")) == "habla español"
    assert (
        words.reason(Reason("distance", miles=1494.3, zip="59801")) == "a 1,494.3 millas de 59801"
    )
    assert (
        Wording().reason(Reason("distance", miles=1494.3, zip="59801")) == "1494.3 miles from 59801"
    )
