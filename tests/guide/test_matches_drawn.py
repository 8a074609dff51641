"""The "Specialists near you" page drawn by ReportLab says what the laid-out page says.

The drawn page is what nearly every reader with a ZIP gets; WeasyPrint lays
the page out for text the Latin font files cannot show.  Both take their
words from ``matches_text.py``; these tests hold the two pages to the same
words, the same rule for cards that do not fit, and the same links.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from intake.config import PROJECT_ROOT
from intake.guide import matches_drawn
from intake.guide.matches_text import matches_text
from intake.guide.outline import Variant
from intake.guide.render import GuideRenderer, MatchCard, Org, Personal

ORG = Org("Mesothelioma Patient Support", "1-800-555-0199", "https://example.org", "1 Example St")
DAY = date(2026, 11, 29)
STATIC = PROJECT_ROOT / "static"
CARDS = (
    MatchCard("Dr. Ingrid Tanaka, DO", "Oakridge Thoracic Oncology Institute", "Detroit", "MI",
              235.7, ("offers chemotherapy and clinical trials", "accepts VA benefits"),
              "555-0190", "https://example.org/tanaka", True, "Within 500 miles of 60601"),
    MatchCard("Dr. Daniel Strand, MD", "Westbrook Cancer Center", "Rochester", "MN", 286.1,
              ("performs pleurectomy/decortication",), "555-0131", "", False,
              "Within 500 miles of 60601"),
    MatchCard("Dr. Léa Côté, MD", "Summit Cancer Center", "Cleveland", "OH", None, (),
              "", "example.org/cote", False, "Farther away, by video visit"),
)  # fmt: skip
NOTE = "The nearest specialist who fits your stage is 235.7 miles away, in Detroit, MI."


@pytest.fixture(scope="module")
def renderer(tmp_path_factory) -> GuideRenderer:
    cache = tmp_path_factory.mktemp("guide-cache")
    return GuideRenderer(PROJECT_ROOT / "templates", STATIC, cache, ORG)


def words(text: str) -> str:
    return " ".join(text.split())


def bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(pdf: bytes, page: int = 0) -> str:
    return words(PdfReader(io.BytesIO(pdf)).pages[page].extract_text())


def laid_out_page(renderer: GuideRenderer, variant: Variant, personal: Personal) -> bytes:
    """The page as WeasyPrint lays it out (the path for text the drawn page cannot show)."""
    context = renderer._context(variant, replace(personal, name=None))
    context.update(matches_page_number=3, show_cover=False)
    return bytes(renderer._layout(context).write_pdf())


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_drawn_page_says_what_the_laid_out_page_says(renderer, language):
    variant = Variant("pleural", "4", None, True, frozenset(), language, has_matches=True)
    personal = Personal(None, DAY, "60601", CARDS, NOTE)
    text = matches_text(language, "60601", CARDS, ORG.phone, NOTE)
    # each section's title once, above its first card
    assert [card.section for card in text.cards] == [
        "Within 500 miles of 60601", "", "Farther away, by video visit"
    ]  # fmt: skip
    assert matches_drawn.can_draw(STATIC, text, ORG.name)
    assert not matches_drawn.can_draw(STATIC, text, "Wsparcie Pacjentów Łódź")
    drawn = matches_drawn.draw(STATIC, text, ORG.name, 3)
    laid_out = laid_out_page(renderer, variant, personal)
    assert len(PdfReader(io.BytesIO(drawn)).pages) == 1
    # the same characters (text extraction orders and spaces the two differently) ...
    assert sorted(bare(page_text(drawn))) == sorted(bare(page_text(laid_out)))
    # ... and each of the page's strings whole, wrapped lines joined
    for string in filter(None, text.strings()):
        assert bare(string) in bare(page_text(drawn)), string
    assert ("Page 3" if language == "en" else "Página 3") in page_text(drawn)
    links = [a.get_object()["/A"]["/URI"] for a in PdfReader(io.BytesIO(drawn)).pages[0]["/Annots"]]
    assert links == ["https://example.org/tanaka"]  # "example.org/cote" has no scheme: text only


def test_cards_that_do_not_fit_are_left_off_the_page_never_spilled(renderer):
    long_reason = ("sees patients with every kind of mesothelioma " * 12).strip()
    cards = tuple(replace(CARDS[0], name=f"Dr. Number {n}", reasons=(long_reason,))
                  for n in range(1, 6))  # fmt: skip
    with pytest.raises(matches_drawn.TooLong):
        matches_drawn.draw(STATIC, matches_text("en", "60601", cards, ORG.phone), ORG.name, 3)
    variant = Variant("pleural", "2", None, False, frozenset({"treatment"}))
    pdf = renderer.render(variant, Personal("Ann Reader", DAY, "60601", cards))
    page = next(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages
                if "Based on ZIP" in p.extract_text())  # fmt: skip
    shown = re.findall(r"Dr\. Number (\d)", page)
    assert 1 <= len(shown) < 5 and shown == [str(n) for n in range(1, len(shown) + 1)]
    assert "We do not endorse any particular doctor" in page  # the page ends as it should


def test_text_the_latin_fonts_cannot_show_is_laid_out_by_weasyprint(renderer, monkeypatch):
    drawn: list[object] = []
    original = matches_drawn.draw
    monkeypatch.setattr(matches_drawn, "draw", lambda *a: drawn.append(a) or original(*a))
    cards = (replace(CARDS[0], name="Dr. Łucja Wróbel"), *CARDS[1:])
    variant = Variant("pleural", "2", None, False, frozenset({"treatment"}))
    pdf = renderer.render(variant, Personal("Ann Reader", DAY, "60602", cards))
    assert drawn == []
    assert any("Łucja Wróbel" in p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    renderer.render(variant, Personal("Ann Reader", DAY, "60603", CARDS))
    assert len(drawn) == 1  # Latin text is drawn


def test_reportlab_uses_its_c_speedups():
    """rl_accel (pinned) replaces ReportLab's pure-Python string widths: the page draws faster."""
    import builtins

    from reportlab.lib import rl_accel

    assert type(rl_accel.instanceStringWidthTTF) is type(builtins.len)
    assert type(rl_accel.fp_str) is type(builtins.len)
