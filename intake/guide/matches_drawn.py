"""The "Specialists near you" page drawn with ReportLab: the same page in milliseconds.

Every reader with a ZIP gets a page of their own (their distances), so it
cannot be cached, and WeasyPrint takes about 50 ms to lay it out and write
it: most of a guide email's cost.  The page is a heading, a paragraph,
five short cards and a paragraph, in one typeface, so it is drawn here
directly, to the measures of ``static/guide/guide.css`` (``.matches``
and ``@page``), with the words of ``matches_text.py``: about 5 ms.  Text
the Latin font files cannot show (another script) is left to WeasyPrint
(``can_draw``).

Positions follow CSS: a line's baseline sits half the leading below the
top of its line box plus the font's ascent; y grows downwards here and is
turned into PDF's upward y only when drawing.
"""

from __future__ import annotations

import functools
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.guide.matches_text import CardText, MatchesText, Run

FONT_FILES = {
    "regular": "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-400-normal.woff",
    "bold": "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-700-normal.woff",
}
_NAMES = {"regular": "GuideAtkinson", "bold": "GuideAtkinson-Bold"}

PAGE_W, PAGE_H = 612.0, 792.0  # US letter
LEFT, RIGHT, TOP, BOTTOM = 72.0, 72.0, 64.8, 72.0  # @page margin: 0.9in 1in 1in 1in
WIDTH = PAGE_W - LEFT - RIGHT

INK, MUTED, ACCENT, RULE, FAINT = "#1d2329", "#4a5560", "#1f5f8b", "#9aa7b3", "#c9d3dc"


DOT = "\u00b7"  # the middle dot between a card's facts, drawn muted (``.sep``)


class TooLong(Exception):
    """The cards do not fit on the one page: show one fewer."""


@dataclass(frozen=True)
class _Fonts:
    names: dict[str, str]
    chars: frozenset[str]  # characters both faces have


_fonts: _Fonts | None = None
_lock = threading.Lock()


def fonts(static: Path) -> _Fonts:
    """The two faces registered with ReportLab (once per process; WOFF read by fontTools)."""
    global _fonts
    with _lock:
        if _fonts is None:
            from fontTools.ttLib import TTFont as FontFile
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            chars: set[int] | None = None
            for face, relative in FONT_FILES.items():
                font = FontFile(str(static / relative))
                have = set(font.getBestCmap())
                chars = have if chars is None else chars & have
                font.flavor = None  # WOFF to plain TrueType, which ReportLab reads
                data = io.BytesIO()
                font.save(data)
                data.seek(0)
                pdfmetrics.registerFont(TTFont(_NAMES[face], data))
            _fonts = _Fonts(dict(_NAMES), frozenset(map(chr, chars or ())))
        return _fonts


def can_draw(static: Path, text: MatchesText, org_name: str) -> bool:
    """True when the Latin font files have every character the page shows."""
    shown = set("".join([*text.strings(), org_name]))
    shown.discard("\n")
    return shown <= fonts(static).chars


def draw(static: Path, text: MatchesText, org_name: str, page_number: int) -> bytes:
    """The page as a one-page PDF (raises ``TooLong`` if the cards overflow it)."""
    from reportlab.pdfgen.canvas import Canvas

    names = fonts(static).names
    out = io.BytesIO()
    # the preamble sets our face, not Helvetica, which would be written into every page unused
    canvas = Canvas(
        out, pagesize=(PAGE_W, PAGE_H), pageCompression=1, initialFontName=names["regular"]
    )
    pen = _Pen(canvas, names)
    _frame(pen, text, org_name, page_number)
    y = pen.heading(text.heading, TOP)
    y = pen.paragraph(text.intro, LEFT, y, WIDTH, 12, 1.4) + 4
    if text.note:  # ``.matches-note``
        y = pen.paragraph([(False, text.note)], LEFT, y + 2, WIDTH, 12, 1.4) + 4
    for card in text.cards:
        y = _card(pen, card, y)
    y = pen.paragraph(text.after, LEFT, y + 8, WIDTH, 12, 1.35)  # 4pt and 8pt margins collapse
    if y > PAGE_H - BOTTOM + 0.01:
        raise TooLong
    canvas.drawText(pen.text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _frame(pen: _Pen, text: MatchesText, org_name: str, page_number: int) -> None:
    """The running header and the footer (notice and page number over a thin rule)."""
    size, line = 9.5, 9.5 * 1.2
    pen.line_of([(False, org_name)], LEFT, TOP - 10 - line, size, line, MUTED)
    footer_top = PAGE_H - BOTTOM
    pen.rule(LEFT, PAGE_W - RIGHT, footer_top, 0.5, RULE)
    pen.line_of([(False, text.notice)], LEFT, footer_top + 12, 10, 12, INK)
    label = f"{text.page_label} {page_number}"
    width = pen.width(label, True, 10)
    pen.line_of([(True, label)], PAGE_W - RIGHT - width, footer_top + 12, 10, 12, INK)


def _card(pen: _Pen, card: CardText, top: float) -> float:
    """One card: the numbered circle, then its lines 28pt in; its bottom rule; the next top."""
    x, width = LEFT + 28, WIDTH - 28
    if card.section:  # ``.match-section``: 13pt bold in the accent colour, 8pt above, 2pt below
        top = pen.paragraph([(True, card.section)], LEFT, top + 8, WIDTH, 13, 1.3, ACCENT) + 2
    pen.circle_number(card.number, LEFT, top + 5)
    y = top + 5
    y = pen.paragraph([(True, card.name)], x, y, width, 13, 1.3) + 1
    y = pen.paragraph(_separated(card.place), x, y, width, 12, 1.3) + 1
    if card.why:
        y = pen.paragraph([(True, card.why_label), (False, " " + card.why)], x, y, width, 12, 1.3)
        y += 1
    if card.phone or card.website_shown:
        runs: list[Run] = []
        if card.phone:
            runs += [(True, card.phone_label), (False, " " + card.phone)]
        if card.phone and card.website_shown:
            runs.append((False, f" {DOT} "))
        if card.website_shown:
            runs.append((False, card.website_shown))
        link = (card.website_shown, card.website) if card.website else None
        y = pen.paragraph(runs, x, y, width, 12, 1.3, link=link) + 1
    y += 5
    pen.rule(LEFT, LEFT + WIDTH, y + 0.25, 0.5, FAINT)
    return y + 0.5


def _separated(parts: tuple[str, ...]) -> list[Run]:
    """Place parts joined by a middle dot (drawn muted, as ``.sep`` is)."""
    runs: list[Run] = []
    for i, part in enumerate(parts):
        if i:
            runs.append((False, f" {DOT} "))
        runs.append((False, part))
    return runs


class _Pen:
    """Lines of text with bold runs, wrapped at spaces, on a ReportLab canvas (y down)."""

    def __init__(self, canvas: Any, names: dict[str, str]) -> None:
        from reportlab.pdfbase import pdfmetrics

        self.canvas, self.names = canvas, names
        # all the page's words in one text object, drawn last (``draw``): a text object per run
        # was most of the drawing's cost; nothing drawn overlaps, so the order does not show
        self.text = canvas.beginText()
        self._ascent = {}
        for face, name in names.items():
            font = pdfmetrics.getFont(name).face
            self._ascent[face] = (font.ascent / 1000, -font.descent / 1000)
        self._font: tuple[str, float] | None = None  # what the text is set to, not to repeat it
        self._fill: str | None = None

    def width(self, text: str, bold: bool, size: float) -> float:
        """The advance of ``text``; a separating dot has 2pt of room each side (``.sep``)."""
        room = 4.0 if text.strip() == DOT else 0.0
        return _advance(text, self.names["bold" if bold else "regular"], size) + room

    def _set(self, font: str, size: float, shade: str) -> None:
        """The font and fill for the next run, only where they change (each is an operator)."""
        if self._font != (font, size):
            self.text.setFont(font, size)
            self._font = (font, size)
        if self._fill != shade:
            self.text.setFillColor(_colour(shade))
            self._fill = shade

    def heading(self, text: str, top: float) -> float:
        """The h1: 21pt bold, 6pt down to a 2pt accent rule, 8pt after; the next top."""
        size, line = 21.0, 21 * 1.25
        self.line_of([(True, text)], LEFT, top, size, line, INK)
        rule_top = top + line + 6
        self.rule(LEFT, LEFT + WIDTH, rule_top + 1, 2, ACCENT)
        return rule_top + 2 + 8

    def paragraph(
        self,
        runs: list[Run] | tuple[Run, ...],
        x: float,
        top: float,
        width: float,
        size: float,
        leading: float,
        colour: str = INK,
        link: tuple[str, str] | None = None,
    ) -> float:
        """Wrap and draw ``runs``; the y below the last line.

        ``link`` is (the text shown, its address): that word is drawn in the
        accent colour and is a link, as an ``a`` is.
        """
        line_height = size * leading
        apart = {DOT, link[0]} if link else {DOT}
        for line in self._wrap(runs, width, size, apart):
            self.line_of(line, x, top, size, line_height, colour, link)
            top += line_height
        return top

    def _wrap(
        self, runs: list[Run] | tuple[Run, ...], width: float, size: float, apart: set[str]
    ) -> list[list[Run]]:
        """Greedy line breaking at spaces, as a browser does with ``hyphens: manual``.

        Words in ``apart`` stay runs of their own (drawn in another colour).
        """
        words: list[tuple[bool, str, bool]] = []  # (bold, word, space before it)
        space_before = False
        for bold, text in runs:
            pieces = text.split(" ")
            for i, piece in enumerate(pieces):
                if i:
                    space_before = True
                if piece:
                    words.append((bold, piece, space_before))
                    space_before = False
        lines: list[list[Run]] = [[]]
        used = 0.0
        for bold, word, spaced in words:
            gap = self.width(" ", bold, size) if spaced and lines[-1] else 0.0
            need = gap + self.width(word, bold, size)
            if lines[-1] and used + need > width + 0.01:
                lines.append([])
                used, gap, need = 0.0, 0.0, self.width(word, bold, size)
            piece = (" " if gap else "") + word
            last = lines[-1][-1] if lines[-1] else None
            if last and last[0] == bold and word not in apart and last[1].strip() not in apart:
                lines[-1][-1] = (bold, lines[-1][-1][1] + piece)
            else:
                lines[-1].append((bold, piece))
            used += need
        return lines

    def line_of(
        self,
        runs: list[Run],
        x: float,
        top: float,
        size: float,
        line_height: float,
        colour: str,
        link: tuple[str, str] | None = None,
    ) -> None:
        """One line box at ``top``: runs drawn from ``x`` on the CSS baseline."""
        ascent, descent = self._ascent["regular"]
        baseline = top + (line_height - (ascent + descent) * size) / 2 + ascent * size
        for bold, text in runs:
            word = text.strip()
            linked = link is not None and word == link[0]
            shade = MUTED if word == DOT else ACCENT if linked else colour
            self._set(self.names["bold" if bold else "regular"], size, shade)
            if word == DOT:  # the dot 2pt clear of the spaces around it
                lead = text[: len(text) - len(text.lstrip())]
                at = x + self.width(lead, bold, size) + 2
                self.text.setTextOrigin(at, PAGE_H - baseline)
                self.text.textOut(DOT)
            else:
                self.text.setTextOrigin(x, PAGE_H - baseline)
                self.text.textOut(text)
            advance = self.width(text, bold, size)
            if linked and link is not None:
                rect = (x, PAGE_H - top - line_height, x + advance, PAGE_H - top)
                self.canvas.linkURL(link[1], rect, relative=0, thickness=0)
            x += advance

    def rule(self, x0: float, x1: float, y: float, thickness: float, colour: str) -> None:
        """A horizontal line centred on ``y``."""
        self.canvas.setStrokeColor(_colour(colour))
        self.canvas.setLineWidth(thickness)
        self.canvas.line(x0, PAGE_H - y, x1, PAGE_H - y)

    def circle_number(self, number: int, x: float, top: float) -> None:
        """The card's number in a 1pt accent ring, 20pt across (``.match::before``)."""
        centre_x, centre_y = x + 10, top + 10
        self.canvas.setStrokeColor(_colour(ACCENT))
        self.canvas.setLineWidth(1)
        self.canvas.circle(centre_x, PAGE_H - centre_y, 9.5, stroke=1, fill=0)
        label = str(number)
        width = self.width(label, True, 11)
        self.line_of([(True, label)], centre_x - width / 2, top + 1, 11, 18, ACCENT)


@functools.lru_cache(maxsize=16384)
def _advance(text: str, font: str, size: float) -> float:
    """A run's width, kept: the same words (listing names, reasons, labels) recur on every page."""
    from reportlab.pdfbase import pdfmetrics

    return float(pdfmetrics.stringWidth(text, font, size))


@functools.cache
def _colour(shade: str) -> Any:
    """A ReportLab colour for one of the page's few hex shades, parsed once."""
    from reportlab.lib.colors import HexColor

    return HexColor(shade)
