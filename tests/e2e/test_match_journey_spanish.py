"""Finding a specialist in Spanish, in a real browser on a phone: a browser that asks for Spanish
gets the form, its error, the results and every reason in Spanish, with Spanish speakers named."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.committed]
# where the pictures of these pages go for review (not committed)
SHOTS = Path(os.environ.get("I25_MATCH_SHOTS", "artifacts/screenshots"))


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)


def test_a_spanish_reader_finds_sarcomatoid_specialists_in_spanish(
    live_server, spanish_phone, demo_listings
):
    page = spanish_phone
    page.goto(live_server + "/match")
    assert page.locator("html").get_attribute("lang") == "es"
    _shot(page, "match-es-form")
    page.get_by_label("Pleural (revestimiento de los pulmones)").check()
    page.get_by_label("Código postal", exact=True).fill("")
    page.get_by_role("button", name="Mostrar especialistas").click()
    assert "Escriba un código postal." in page.locator("main").inner_text()
    _shot(page, "match-es-error")

    page.get_by_label("Código postal", exact=True).fill("10001")
    page.get_by_label("Etapa", exact=True).select_option("3")
    page.get_by_label("Tipo de células").select_option("sarcomatoid")
    page.get_by_role("button", name="Mostrar especialistas").click()
    heading = page.locator("#results-heading").inner_text()
    assert "tratan el mesotelioma pleural" in heading, heading
    first = page.locator("li.match-card").first.inner_text()
    assert "por lo general el primer tratamiento del mesotelioma sarcomatoide" in first, first
    assert "millas de 10001" in first and "miles" not in first
    reasons = page.locator("ul.reasons").all_inner_texts()
    assert any("Habla español" in r for r in reasons), "Spanish speakers are named"
    assert not any(word in " ".join(reasons) for word in ("offers", "speaks", "treats"))
    _shot(page, "match-es-results")


def test_a_spanish_reader_asking_for_help_with_symptoms_reads_true_headings(
    live_server, spanish_phone, demo_listings
):
    page = spanish_phone
    page.goto(live_server + "/match?lang=es&cancer_type=pleural&zip=59801&stage=4&need=palliative")
    headings = page.locator("h3.match-section").all_inner_texts()
    assert headings[0] == "Atención para los síntomas a menos de 500 millas de 59801", headings
    note = page.locator(".match-group__note").first.inner_text()
    assert note.startswith("No hay especialistas en cuidados paliativos ni en los pulmones"), note
    _shot(page, "match-es-palliative")
