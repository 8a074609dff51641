"""The Spanish guide's "Especialistas cerca de usted": every reason in Spanish, and true.

Cards are made as the guide email makes them (``guides.card_for``) from the
engine's ranking of the demo directory, drawn into a real PDF, and its text
layer read back: the "Por qué aparece" of each card holds no English word.
"""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from intake.catalogues import compile_stale
from intake.config import PROJECT_ROOT
from intake.guide.outline import Variant
from intake.guide.render import GuideRenderer, Org, Personal
from intake.matching import sections
from intake.matching.rules import rank
from intake.matching.types import MatchQuery
from intake.services.email.guides import card_for
from intake.translator import TRANSLATIONS, wording
from tests.matching._demo import demo_listings

ORG = Org("Mesothelioma Patient Support", "1-800-555-0199", "https://example.org", "1 Example St")
ENGLISH = re.compile(
    r"\b(offers|treats|performs|speaks|miles|from|the|and|with|usual|options|stage|surgery|"
    r"specialist|accepts|benefits|sees|patients|visits|team|of|for|lung|Why|Phone)\b"
)


def _matches_page(pdf: bytes) -> str:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    found = [text for text in pages if "Especialistas cerca de usted" in text and "Por qué" in text]
    assert found, "the Spanish guide has its specialists page"
    return " ".join(" ".join(found).split())


def test_the_spanish_guides_specialists_page_gives_every_reason_in_spanish(tmp_path):
    compile_stale(TRANSLATIONS)  # as the app does at start
    query = MatchQuery(
        "10001", "pleural", stage="3", cell_type="sarcomatoid", language="es",
        telehealth_ok=True, limit=5,
    )  # fmt: skip
    matches = rank(query, demo_listings())
    groups = sections.group(matches, query.need, query.zip, 500.0, "es")
    cards = tuple(card_for(m, g.title, wording("es")) for g in groups for m in g.matches)
    renderer = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", tmp_path, ORG)
    variant = Variant("pleural", "3", "sarcomatoid", False, frozenset({"treatment"}), language="es")
    pdf = renderer.render(variant, Personal("Rosa Delgado", date(2026, 12, 5), "10001", cards))
    text = _matches_page(pdf)
    whys = re.findall(r"Por qué aparece: (.*?)(?= Teléfono:| \d+\. |$)", text)
    # as many cards as fit on the page (the renderer drops the last ones that do not), in order
    assert 3 <= len(whys) <= len(cards), text
    for why, match in zip(whys, matches, strict=False):
        said = why.replace(match.listing.institution.strip(), "")
        assert not ENGLISH.findall(said), why
        speaks = "habla español" in why.lower()
        assert speaks == ("es" in match.listing.languages), (why, match.listing.languages)
    assert (
        "inmunoterapia, por lo general el primer tratamiento del mesotelioma sarcomatoide" in text
    )
    assert " millas" in text and " miles" not in text
