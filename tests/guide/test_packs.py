"""The print file: address sheets and guides joined in order, each starting on fresh paper."""

from __future__ import annotations

import io

import pikepdf
from pypdf import PdfReader

from intake.config import PROJECT_ROOT
from intake.guide import packs
from intake.guide.render import GuideRenderer
from tests.guide.test_render import ORG


def _blank_pdf(pages: int) -> bytes:
    pdf = pikepdf.Pdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=packs.LETTER)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _sheet(name: str, position: int) -> packs.AddressSheet:
    return packs.AddressSheet(name, (f"{name} Reader", "1 Main St", "Boston, MA 02110"), "en",
                              "December 5, 2026", 7, position, 2, 40 + position)  # fmt: skip


def test_our_address_is_set_as_an_envelope_sets_it():
    default = "Mesothelioma Patient Support\n100 Example Street, Suite 200, Springfield, IL 62701"
    assert packs.return_lines(default) == (
        "Mesothelioma Patient Support", "100 Example Street, Suite 200", "Springfield, IL 62701",
    )  # fmt: skip
    assert packs.return_lines("Support, Boston, MA 02110") == ("Support", "Boston, MA 02110")


def test_each_readers_sheet_and_guide_start_on_a_fresh_sheet_of_paper(tmp_path):
    renderer = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", None, ORG)
    joined = packs.join(
        renderer,
        [packs.Pack(_sheet("Ann", 1), _blank_pdf(3)), packs.Pack(_sheet("Ben", 2), _blank_pdf(2))],
        "Print batch 7",
    )
    reader = PdfReader(io.BytesIO(joined))
    # Ann: sheet + blank back, 3 guide pages + blank; Ben: sheet + blank back, 2 guide pages
    assert len(reader.pages) == 2 + 4 + 2 + 2
    assert "Ann Reader" in reader.pages[0].extract_text()
    assert "Batch 7 · 1 of 2 · copy 41" in reader.pages[0].extract_text()
    assert "Ben Reader" in reader.pages[6].extract_text()
    assert reader.metadata.title == "Print batch 7"


def test_a_spanish_readers_letter_says_what_the_spanish_guide_and_emails_say(tmp_path):
    """The printed letter in the house's Spanish words: a "defensor de pacientes", the same
    notice as every page, and a callback link that opens the Spanish page on any browser."""
    from tests.i18n.english import english_words

    renderer = GuideRenderer(PROJECT_ROOT / "templates", PROJECT_ROOT / "static", None, ORG)
    sheet = packs.AddressSheet("Rosa", ("Rosa Díaz", "1 Main St", "Boston, MA 02110"), "es",
                               "5 de diciembre de 2026", 7, 1, 2, 41)  # fmt: skip
    text = " ".join(
        PdfReader(io.BytesIO(packs.sheet_pdf(renderer, sheet))).pages[0].extract_text().split()
    )
    letter = text[
        text.index("5 de diciembre de 2026") : text.index("Batch 7")
    ]  # the packers' mark after
    assert "Estimado/a Rosa:" in letter
    assert "defensores de pacientes" in letter and "asesores" not in letter
    assert "Solo para información, no es consejo médico" in letter
    assert "https://example.org/callback?lang=es" in letter
    assert english_words(letter) == []
