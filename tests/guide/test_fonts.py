"""Every name prints in glyphs: a font is used only for the characters its file has, and a
font installed with the guide's packages has every script a name comes in.

The guide's ``@font-face`` rules once claimed whole blocks (``U+2000-206F``,
``U+0100-02BA``...) that the Atkinson Hyperlegible files cover only in part.
WeasyPrint takes a rule's ``unicode-range`` as the font's coverage, so a
character it claimed but the file lacks was drawn as a missing-glyph box
instead of falling back to DejaVu Sans: "Trương" (ư), "Kaʻiulani" (the ʻokina),
"Əliyev", "Ĉu" printed with holes in them (the fuzz run found it).
"""

from __future__ import annotations

import io
import logging
import re

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from intake.config import PROJECT_ROOT

GUIDE_CSS = PROJECT_ROOT / "static" / "guide" / "guide.css"
FACE_RE = re.compile(r'@font-face\s*{[^}]*?src: url\("([^"]+)"\)[^}]*?unicode-range: ([^;]+);')
# each name has a character one of the rules claimed but its file lacks
NAMES = ["Trương Văn Ơn", "Kaʻiulani", "Əliyev", "Ĉu Ŝanĝo", "Ǎlan Ŋgu"]


def _code_points(ranges: str) -> set[int]:
    points: set[int] = set()
    for part in ranges.split(","):
        first, _, last = part.strip().removeprefix("U+").partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return points


def _faces() -> list[tuple[str, set[int]]]:
    faces = FACE_RE.findall(GUIDE_CSS.read_text())
    assert len(faces) == 8, "the stylesheet's @font-face rules were not found"
    return [(url, _code_points(ranges)) for url, ranges in faces]


@pytest.mark.parametrize(("url", "claimed"), _faces())
def test_each_rule_claims_only_characters_its_file_has(url, claimed):
    font = TTFont(str((GUIDE_CSS.parent / url).resolve()))
    missing = sorted(claimed - set(font.getBestCmap()))
    assert missing == [], f"{url} claims {', '.join(f'U+{c:04X}' for c in missing[:20])}..."


def _fonts_for(text: str) -> set[str]:
    """The fonts WeasyPrint embeds to set ``text`` in the guide's stylesheet."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # loads the stylesheet's @font-face files, as the renderer does
    html = HTML(string=f"<body><h1>{text}</h1><p>{text}</p></body>", base_url=str(GUIDE_CSS))
    css = CSS(filename=str(GUIDE_CSS), font_config=fonts)
    pdf = html.write_pdf(stylesheets=[css], font_config=fonts)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        fonts = document.pages[0].Resources.get("/Font", {})
        return {str(font.get("/BaseFont", "")) for font in fonts.values()}


@pytest.mark.parametrize("name", NAMES)
def test_a_character_the_guide_font_lacks_falls_back_to_dejavu(name):
    fonts = _fonts_for(name)
    assert any("DejaVu" in font for font in fonts), fonts


def test_a_latin_name_stays_in_the_guide_font():
    fonts = _fonts_for("Maria López")
    assert fonts and all("Atkinson" in font for font in fonts), fonts


# A name in each script the guide's fonts beyond DejaVu cover (scripts/_bootstrap.sh,
# Dockerfile): on a machine with DejaVu alone each one printed as boxes.
OTHER_SCRIPTS = {
    "王小明": "WenQuanYi",  # Chinese
    "さくら 山田": "WenQuanYi",  # Japanese: kana and kanji
    "김민준": "WenQuanYi",  # Korean
    "สมชาย": "Noto-Sans-Thai",
    "राजेश कुमार": "Noto-Sans-Devanagari",
}


@pytest.mark.parametrize(("name", "font"), OTHER_SCRIPTS.items())
def test_a_name_in_another_script_prints_in_glyphs_not_boxes(name, font, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        fonts = _fonts_for(name)
    boxes = [r.getMessage() for r in caplog.records if ".notdef glyph" in r.getMessage()]
    assert boxes == [], f"{name}: {boxes[:3]} (install: scripts/_bootstrap.sh GUIDE_PACKAGES)"
    assert any(font in found for found in fonts), fonts


def test_the_box_check_hears_a_missing_glyph(caplog):
    """The check above hears WeasyPrint's warning: a private-use character no font has."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        _fonts_for("\ue000")
    assert any(".notdef glyph" in r.getMessage() for r in caplog.records)
