"""The rendered PDF: personal pages stitched into a cached body, never leaking between readers.

Real WeasyPrint renders (about two seconds per variant, cold); the PDFs are
read back with pypdf: their text, their bookmarks (one per chapter, in order)
and their page count.
"""

from __future__ import annotations

import io
import shutil
from datetime import date

import pytest
from pypdf import PdfReader

from intake.config import PROJECT_ROOT
from intake.guide.outline import Variant
from intake.guide.render import GuideRenderer, MatchCard, Org, Personal

ORG = Org("Mesothelioma Patient Support", "1-800-555-0199", "https://example.org", "1 Example St")
ALL_TOPICS = frozenset({"treatment", "financial", "va_benefits", "living_with"})
PLEURAL_4_VETERAN = Variant("pleural", "4", "epithelioid", True, ALL_TOPICS)
PERITONEAL_2 = Variant("peritoneal", "2", None, False, frozenset({"treatment", "va_benefits"}))
CARDS = tuple(
    MatchCard(
        f"Dr. Invented Person{n}, MD", "Fictional Cancer Institute", "New York", "NY", 2.5 * n,
        ("performs pleurectomy/decortication (P/D)", "offers clinical trials"),
        "212-555-0100", "https://example.org/doctor", n % 2 == 0,
    )
    for n in range(1, 4)
)  # fmt: skip


@pytest.fixture(scope="module")
def renderer(tmp_path_factory) -> GuideRenderer:
    cache = tmp_path_factory.mktemp("guide-cache")
    return GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", cache, ORG)


def read(pdf: bytes) -> tuple[PdfReader, str, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    chapters = [item.title for item in reader.outline if not isinstance(item, list)]
    return reader, text, chapters


def test_the_readers_guide_has_their_name_type_first_va_and_matches(renderer):
    personal = Personal("Maria López", date(2026, 11, 29), "10001", CARDS)
    reader, text, chapters = read(renderer.render(PLEURAL_4_VETERAN, personal))
    assert len(reader.pages) > 20
    first_page = reader.pages[0].extract_text()
    assert "Prepared for Maria López" in first_page and "Stage 4" in first_page
    assert chapters.index("Specialists near you") < chapters.index("Welcome")
    medical = [c for c in chapters if c not in ("Your guide to mesothelioma", "Welcome")]
    body = medical[medical.index("Pleural mesothelioma") :]
    assert body[0] == "Pleural mesothelioma" and body.index("What is mesothelioma?") > 0
    assert "Benefits for veterans" in chapters and "Stage 4" in chapters
    assert "Dr. Invented Person1" in text and "Based on ZIP 10001" in text
    assert "Information only, not medical advice" in reader.pages[5].extract_text()


def test_another_reader_of_the_same_variant_never_sees_the_first_ones_details(renderer):
    renderer.render(PLEURAL_4_VETERAN, Personal("Maria López", date(2026, 11, 29), "10001", CARDS))
    pdf = renderer.render(PLEURAL_4_VETERAN, Personal("Robert O'Neil", date(2026, 11, 29)))
    _, text, chapters = read(pdf)
    assert "Robert O'Neil" in text
    assert "Maria" not in text and "Invented Person" not in text and "10001" not in text
    assert "Specialists near you" not in chapters  # no ZIP given: no matches page


def test_the_cache_holds_no_reader_details(renderer):
    renderer.render(PLEURAL_4_VETERAN, Personal("Maria López", date(2026, 11, 29), "10001", CARDS))
    cached = list(renderer.cache_dir.rglob("*.pdf"))  # bodies and day bases
    assert cached and any(path.name.endswith(".day.pdf") for path in cached)
    for path in cached:
        text = "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
        assert "Maria" not in text and "Invented Person" not in text and "10001" not in text
        assert b"Mar\xeda" not in path.read_bytes() and b"Invented" not in path.read_bytes()
        if not path.name.endswith(".day.pdf"):
            assert "Prepared for you" in text


def test_a_non_veteran_gets_no_va_chapter_and_their_own_type_first(renderer):
    _, text, chapters = read(renderer.render(PERITONEAL_2, Personal("Ana", date(2026, 11, 29))))
    assert "Benefits for veterans" not in chapters
    medical = [c for c in chapters if c not in ("Your guide to mesothelioma", "Welcome")]
    assert medical[medical.index("Peritoneal mesothelioma") + 1] == "What is mesothelioma?"
    assert "Stages 1 and 2" in chapters and "Help with costs" not in chapters


def test_the_matches_page_is_numbered_where_it_stands(renderer):
    reader, _, _ = read(
        renderer.render(PLEURAL_4_VETERAN, Personal("Maria", date(2026, 11, 29), "10001", CARDS))
    )
    index = next(i for i, p in enumerate(reader.pages) if "Specialists near you" in p.extract_text()
                 and "Based on ZIP" in p.extract_text())  # fmt: skip
    assert f"Page {index + 1}" in reader.pages[index].extract_text()


def test_a_template_change_starts_a_fresh_cache(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates" / "guide", templates / "guide")
    first = GuideRenderer(templates, PROJECT_ROOT / "static", tmp_path / "cache", ORG)
    (templates / "guide" / "en" / "welcome.html").write_text(
        (templates / "guide" / "en" / "welcome.html").read_text() + "\n"
    )
    second = GuideRenderer(templates, PROJECT_ROOT / "static", tmp_path / "cache", ORG)
    assert first.digest != second.digest and first.cache_dir != second.cache_dir


def test_spanish_guide_is_in_spanish(renderer):
    variant = Variant("pleural", "1", None, None, frozenset({"treatment"}), language="es")
    _, text, chapters = read(renderer.render(variant, Personal("Lucía", date(2026, 11, 29))))
    assert "Preparada para Lucía" in text and "Mesotelioma pleural" in chapters
    assert "29 de noviembre de 2026" in text


def test_names_in_other_scripts_are_kept(renderer):
    name = "مریم رضایی"  # Persian: shaped right to left by Pango
    pdf = renderer.render(PERITONEAL_2, Personal(name, date(2026, 11, 29)))
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text()  # renders, no exception


def test_a_new_phone_number_starts_a_fresh_cache(tmp_path):
    """The body prints the phone: a renderer for the new number never reads the old body."""
    old = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", tmp_path, ORG)
    assert "1-800-555-0199" in read(old.render(PERITONEAL_2, Personal()))[1]
    new_org = Org(ORG.name, "1-888-555-0123", ORG.website, ORG.postal_address)
    new = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", tmp_path, new_org)
    text = read(new.render(PERITONEAL_2, Personal()))[1]
    assert "1-888-555-0123" in text and "1-800-555-0199" not in text
