"""The reader's pages without a layout per email: a name drawn into a day's base, matches kept.

Real WeasyPrint and pikepdf; the PDFs are read back with pypdf (strict, and
warnings are errors in this suite) and checked by qpdf through pikepdf.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pikepdf
import pytest
from pypdf import PdfReader

from intake.config import PROJECT_ROOT
from intake.guide import matches_drawn
from intake.guide.outline import Variant
from intake.guide.render import GuideRenderer, MatchCard, Org, Personal

ORG = Org("Mesothelioma Patient Support", "1-800-555-0199", "https://example.org", "1 Example St")
DAY = date(2026, 11, 29)
PLEURAL_2 = Variant("pleural", "2", None, False, frozenset({"treatment"}))
CARDS = tuple(
    MatchCard(
        f"Dr. Imaginary Doctor{n}, MD", "Fictional Cancer Center", "Chicago", "IL", 3.0 * n,
        ("treats pleural mesothelioma",), "312-555-0100", "https://example.org/dr", n == 1,
    )
    for n in range(1, 4)
)  # fmt: skip


@pytest.fixture(scope="module")
def renderer(tmp_path_factory) -> GuideRenderer:
    cache = tmp_path_factory.mktemp("guide-cache")
    return GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", cache, ORG)


@pytest.fixture
def laid_out(renderer, monkeypatch) -> list[str]:
    """The names that took the WeasyPrint path."""
    calls: list[str] = []
    original = renderer.render_laid_out

    def spy(variant, personal):
        calls.append(personal.name)
        return original(variant, personal)

    monkeypatch.setattr(renderer, "render_laid_out", spy)
    return calls


def cover_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf), strict=True).pages[0].extract_text()


def shown_strings(pdf: bytes) -> bytes:
    """Every literal string of every uncompressed ``TJ`` array, joined: a kerned name whole."""
    joined = []
    for array in re.findall(rb"\[((?:\((?:\\.|[^\\)])*\)\s*-?\d*\s*)+)\]\s*TJ", pdf):
        pieces = re.findall(rb"\(((?:\\.|[^\\)])*)\)", array)
        joined.append(b"".join(re.sub(rb"\\([0-7]{3})", _octal, p) for p in pieces))
    return b"\n".join(joined)


def _octal(match: re.Match[bytes]) -> bytes:
    return bytes([int(match.group(1), 8)])


@pytest.mark.parametrize("name", ["José O'Brien-Smith", "Zoë", "Anne (Annie) Back\\slash"])
def test_a_windows_1252_name_is_drawn_into_the_days_base(renderer, laid_out, name):
    pdf = renderer.render(PLEURAL_2, Personal(name, DAY))
    assert laid_out == []
    assert f"Prepared for {name}" in cover_text(pdf)
    assert name.encode("cp1252") in shown_strings(pdf)
    assert pdf.count(b"%%EOF") == 2  # the base, then this reader's update


@pytest.mark.parametrize("name", ["Łukasz Żółć", "王小明", "Ann\u00adette"])  # soft hyphen
def test_a_name_outside_windows_1252_is_laid_out_by_weasyprint(renderer, laid_out, name):
    pdf = renderer.render(PLEURAL_2, Personal(name, DAY))
    assert laid_out == [name]
    if "Ł" in name:  # (CJK glyphs depend on the fonts installed)
        assert f"Prepared for {name}" in cover_text(pdf)


def test_a_name_too_long_for_the_line_is_laid_out_by_weasyprint(renderer, laid_out):
    name = "Maximilian Bartholomew Alexander Montgomery-Worthington"
    pdf = renderer.render(PLEURAL_2, Personal(name, DAY))
    assert laid_out == [name]
    assert "Maximilian" in cover_text(pdf) and "Worthington" in cover_text(pdf)


def test_no_name_gets_prepared_for_you_and_the_day(renderer, laid_out):
    text = cover_text(renderer.render(PLEURAL_2, Personal(None, DAY)))
    assert laid_out == [] and "Prepared for you" in text and "November 29, 2026" in text


def test_two_readers_of_one_variant_and_day_never_see_each_other(renderer):
    first = renderer.render(PLEURAL_2, Personal("Bartholomé Quist", DAY, "60601", CARDS))
    second = renderer.render(PLEURAL_2, Personal("Ofelia Rand", DAY))
    assert b"Bartholom\xe9 Quist" in shown_strings(first)  # so the checks below can fail
    for secret in ("Bartholomé Quist", "Bartholom", "Quist", "Imaginary Doctor", "60601"):
        assert secret.encode("cp1252") not in second
        assert secret.encode("cp1252") not in shown_strings(second)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(second)).pages)
        assert secret not in text
    for _, day in renderer._days._entries.items():  # nor in any base kept for the next reader
        assert day is None or b"Quist" not in shown_strings(day.base.pdf)
    assert "Prepared for Ofelia Rand" in cover_text(second)


def test_the_pdf_is_valid_with_its_pages_and_bookmarks(renderer):
    variant = replace(PLEURAL_2, has_matches=True)
    body = PdfReader(io.BytesIO(renderer.body(variant).pdf))
    pdf = renderer.render(PLEURAL_2, Personal("Zoë Quist", DAY, "60601", CARDS))
    with pikepdf.open(io.BytesIO(pdf)) as checked:
        assert checked.check_pdf_syntax() == []
        assert len(checked.pages) == len(body.pages)
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles == [item.title for item in body.outline if not isinstance(item, list)]
    targets = [reader.get_destination_page_number(item) for item in reader.outline
               if not isinstance(item, list)]  # fmt: skip
    assert all(0 <= t < len(reader.pages) for t in targets)
    assert titles.index("Specialists near you") < titles.index("Welcome")
    matches = reader.pages[targets[titles.index("Specialists near you")]]
    assert "Dr. Imaginary Doctor1" in matches.extract_text()
    links = [a.get_object()["/A"]["/URI"] for a in matches.get("/Annots", [])]
    assert links == ["https://example.org/dr"] * 3


def test_the_matches_page_is_kept_only_for_the_same_content(renderer, monkeypatch):
    drawn = []
    original = matches_drawn.draw
    monkeypatch.setattr(matches_drawn, "draw", lambda *a: drawn.append(a) or original(*a))
    renderer.render(PLEURAL_2, Personal("Ann", DAY, "60601", CARDS))
    first = len(drawn)
    pdf_a = renderer.render(PLEURAL_2, Personal("Ben", DAY, "60601", CARDS))
    assert len(drawn) == first  # same ZIP and cards: nothing drawn again
    pdf_b = renderer.render(PLEURAL_2, Personal("Cy", DAY, "60602", CARDS))
    other = (replace(CARDS[0], distance_miles=3.1), *CARDS[1:])
    pdf_c = renderer.render(PLEURAL_2, Personal("Di", DAY, "60601", other))
    assert len(drawn) == first + 2  # another ZIP, another distance: each drawn
    pages = [matches_text(pdf) for pdf in (pdf_a, pdf_b, pdf_c)]
    assert "ZIP 60601" in pages[0] and "ZIP 60602" in pages[1] and "3.1 miles" in pages[2]
    assert "3.1 miles" not in pages[0]


def matches_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return next(p.extract_text() for p in reader.pages if "Based on ZIP" in p.extract_text())


def test_spanish_cover_and_matches_take_the_fast_path(renderer, laid_out):
    variant = replace(PLEURAL_2, language="es")
    pdf = renderer.render(variant, Personal("Lucía Peña", DAY, "60601", CARDS))
    assert laid_out == []
    assert "Preparada para Lucía Peña" in cover_text(pdf) and "29 de noviembre de 2026" in (
        cover_text(pdf)
    )
    assert "Según el código postal 60601" in matches_text_es(pdf)


def matches_text_es(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return next(p.extract_text() for p in reader.pages if "código postal" in p.extract_text())


def test_another_process_takes_the_days_base_from_disk(renderer, monkeypatch):
    renderer.render(PLEURAL_2, Personal("Ann", DAY))
    other = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static",
                          renderer.cache_dir.parent, ORG)  # fmt: skip
    monkeypatch.setattr(other, "_layout", lambda context: pytest.fail("laid out again"))
    pdf = other.render(PLEURAL_2, Personal("Eve Quist", DAY))
    assert "Prepared for Eve Quist" in cover_text(pdf)


def test_days_before_yesterday_are_removed_from_the_disk_cache(renderer):
    for day in (date(2026, 11, 20), date(2026, 11, 27), date(2026, 11, 28)):
        renderer.render(PLEURAL_2, Personal("Ann", day))
    days = sorted(p.name for p in (renderer.cache_dir / "days").iterdir())
    assert "2026-11-20" not in days and {"2026-11-27", "2026-11-28"} <= set(days)
