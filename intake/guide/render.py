"""The guide as a PDF: a cached body per variant, with the reader's own pages stitched in.

Laying out a 30-50 page guide takes WeasyPrint about two seconds, far too
slow to do per email, and almost all of it is the same for everyone with
the same diagnosis facts and topics (``outline.Variant``).  So the body is
rendered once per variant and kept (in memory and on disk, in a folder named
by a digest of the templates, stylesheet, fonts, WeasyPrint's version and
the organisation's details the body prints (name, phone, website, address),
so any change to them starts a fresh cache).  The body carries a neutral cover
("Prepared for you") and, when the reader gave a ZIP, an empty "Specialists
near you" page in their places.

Per reader, only those pages are laid out (a one- or two-page document, a
few tens of milliseconds) and their content is copied into the body's page
objects.  Keeping the body's page objects keeps every link, bookmark and
table-of-contents entry that points at them valid.  Nothing personal is ever
written into the cache: the cached body is rendered without a name, a ZIP or
matches, and a fresh copy of it is opened for each reader.

Laying out even those pages (tens of milliseconds) was most of an email's
cost, so most readers get none: a day's base (``daybase``) has the day's
cover with a blank where the name goes, and a name in Windows-1252 is drawn
into it with the name font (``namefont``) by appending to the base's bytes
(``pdfpatch``).  The "Specialists near you" page names no one, so it is laid
out once per content (language, page number, ZIP and cards) and kept.
Names in other scripts, or too long for the line, take the layout path.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from intake.guide import daybase, matches_drawn, outline
from intake.guide.diskcache import DiskCache
from intake.guide.matches_text import matches_text
from intake.guide.namefont import NameFont, collapse
from intake.guide.types import Body, MatchCard, Org, Personal
from intake.lru import Lru

__all__ = ["Body", "GuideRenderer", "MatchCard", "Org", "Personal", "format_date", "normalised"]

MEMORY_ENTRIES = 48  # bodies kept per process (about 150 KB each)
DAY_ENTRIES = 48  # day bases kept per process (about 200 KB each)
MATCHES_ENTRIES = 256  # matches pages kept per process (about 40 KB each, mostly fonts)
NAME_FONT = "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-700-normal.woff"
MAX_MATCHES = 5  # what fits the one "Specialists near you" page
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}


def normalised(variant: outline.Variant) -> outline.Variant:
    """The variant as the templates should see it: unknown and "not sure" both None."""
    return replace(
        variant,
        diagnosis_type=outline._known(variant.diagnosis_type, outline.DIAGNOSIS_TYPES),
        stage=outline._known(variant.stage, outline.STAGES),
        cell_type=outline._known(variant.cell_type, outline.CELL_TYPES),
        topics=frozenset(t for t in variant.topics if t in outline.TOPICS),
        language=outline._language(variant),
    )


def format_date(day: date, language: str) -> str:
    """'November 29, 2026' or '29 de noviembre de 2026'."""
    months = _MONTHS.get(language, _MONTHS["en"]).split()
    if language == "es":
        return f"{day.day} de {months[day.month - 1]} de {day.year}"
    return f"{months[day.month - 1]} {day.day}, {day.year}"


def org_digest(org: Org) -> str:
    """A digest of everything the body prints about us: a new phone number is a new body."""
    return hashlib.sha256(repr(org).encode()).hexdigest()[:16]


def source_digest(*folders: Path) -> str:
    """A digest of every file the rendering reads, and of WeasyPrint's version."""
    import weasyprint

    digest = hashlib.sha256(weasyprint.__version__.encode())
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class GuideRenderer:
    """Renders guides from ``templates/guide`` with ``static/`` as the base for CSS and fonts."""

    def __init__(self, templates: Path, static: Path, cache_dir: Path | None, org: Org) -> None:
        import jinja2

        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.static, self.org = static, org
        sources = source_digest(templates / "guide", static / "guide", static / "fonts")
        self.digest = f"{sources}-{org_digest(org)}"
        self.cache_dir = cache_dir / self.digest if cache_dir else None
        self.disk = DiskCache(self.cache_dir)
        self._memory: Lru[str, Body] = Lru(MEMORY_ENTRIES)
        self._days: Lru[tuple[str, date, bool], daybase.DayBase | None] = Lru(DAY_ENTRIES)
        self._matches: Lru[str, daybase.PageCopy] = Lru(MATCHES_ENTRIES)
        self._stylesheet: Any = None
        self._fonts: Any = None
        self._name_font: NameFont | None = None

    # --- the body, once per variant -------------------------------------------------------

    def body(self, variant: outline.Variant) -> Body:
        """The variant's body: from memory, else from disk, else rendered and stored."""
        variant = normalised(variant)
        key = outline.variant_key(variant)
        found, body = self._memory.get(key)
        if found and body is not None:
            return body
        return self._memory.put(key, self._from_disk(key) or self._render_body(variant, key))

    def _context(self, variant: outline.Variant, personal: Personal) -> dict[str, Any]:
        day = personal.prepared_on or date.today()
        return {
            "v": variant,
            "chapters": outline.chapters_for(variant),
            "name": personal.name,
            "prepared_on": format_date(day, variant.language),
            "matches": list(personal.matches),
            "mt": matches_text(
                variant.language,
                personal.zip,
                personal.matches[:MAX_MATCHES],
                self.org.phone,
                personal.matches_note,
            ),
            "zip": personal.zip,
            "org": self.org,
            "show_cover": True,
            "name_hidden": False,
        }

    def _render_body(self, variant: outline.Variant, key: str) -> Body:
        import weasyprint

        html = self.env.get_template("guide/document.html").render(
            self._context(variant, Personal())
        )
        document = weasyprint.HTML(string=html, base_url=self._base_url()).render(
            font_config=self._font_config()
        )
        pages = [set(page.anchors) for page in document.pages]
        cover = next(i for i, anchors in enumerate(pages) if "cover" in anchors)
        matches = next((i for i, anchors in enumerate(pages) if "matches" in anchors), None)
        body = Body(document.write_pdf(), cover, matches if variant.has_matches else None)
        self._to_disk(key, body)
        return body

    def _from_disk(self, key: str) -> Body | None:
        found = self.disk.read(key, ".pdf", ".pages")
        if found is None:
            return None
        pdf, meta = found
        cover, matches = meta.decode().split(",")
        return Body(pdf, int(cover), int(matches) if matches else None)

    def _to_disk(self, key: str, body: Body) -> None:
        pages = f"{body.cover_page},{'' if body.matches_page is None else body.matches_page}"
        self.disk.write(key, {".pages": pages.encode(), ".pdf": body.pdf})

    # --- the reader's pages, every time -----------------------------------------------------

    def render(self, variant: outline.Variant, personal: Personal) -> bytes:
        """The whole guide for one reader."""
        shared, own = self.render_parts(variant, personal)
        return shared + own

    def render_parts(self, variant: outline.Variant, personal: Personal) -> tuple[bytes, bytes]:
        """The guide as (the day's base, shared by many readers; this reader's update).

        The email attaches both together; knowing where the shared part ends
        lets it reuse that part's base64 (``mail/compose.py``).  The shared
        part is empty when the reader's pages had to be laid out.
        """
        variant = normalised(replace(variant, has_matches=bool(personal.matches)))
        name = collapse(personal.name) if personal.name is not None else None
        font = self.name_font()
        if name is not None and not font.can_set(name):
            return b"", self.render_laid_out(variant, personal)
        day = self.day_base(variant, personal.prepared_on or date.today(), name is not None)
        if day is None:
            return b"", self.render_laid_out(variant, personal)
        drawn = None
        if name is not None:
            slot = day.slot
            if slot is None or font.width(name, slot.size) > slot.room - 0.5:
                return b"", self.render_laid_out(variant, personal)  # WeasyPrint wraps it
            drawn = daybase.name_stream(font, slot, name)
        matches = self._matches_page(variant, personal) if variant.has_matches else None
        return day.base.pdf, daybase.personal_update(day, drawn, matches)

    def render_laid_out(self, variant: outline.Variant, personal: Personal) -> bytes:
        """The guide with the reader's pages laid out by WeasyPrint: for any name in any script."""
        import pikepdf

        variant = normalised(replace(variant, has_matches=bool(personal.matches)))
        body = self.body(variant)
        own = self._personal_pages(variant, personal, body)
        with pikepdf.open(io.BytesIO(body.pdf)) as pdf, pikepdf.open(io.BytesIO(own)) as mine:
            daybase.swap_content(pdf, body.cover_page, mine, 0)
            if body.matches_page is not None:
                daybase.swap_content(pdf, body.matches_page, mine, 1)
            pdf.docinfo["/Title"] = self._title(variant)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=False)
        return out.getvalue()

    def name_font(self) -> NameFont:
        """The cover name's font, read and subset once per process."""
        if self._name_font is None:
            self._name_font = NameFont(self.static / NAME_FONT, "GUIDEA+AtkinsonHyperlegible-Bold")
        return self._name_font

    def day_base(self, variant: outline.Variant, day: date, named: bool) -> daybase.DayBase | None:
        """The variant's base for the day, with a name slot or "Prepared for you"; None: no slot.

        Kept in memory and on disk beside the bodies, a folder per day (it
        holds no name), so worker processes lay out each day's covers once;
        folders of days before yesterday are removed.
        """
        variant = normalised(variant)
        key = (outline.variant_key(variant), day, named)
        found, known = self._days.get(key)
        if found:
            return known
        disk = DiskCache(self.cache_dir / "days" / day.isoformat() if self.cache_dir else None)
        disk_key = repr(key)
        stored = disk.read(disk_key, ".day.json", ".day.pdf")
        if stored is not None:
            return self._days.put(key, daybase.loads(*stored))
        body = self.body(variant)
        stand_in = Personal(daybase.STAND_IN if named else None, day)
        context = self._context(replace(variant, has_matches=False), stand_in)
        context.update(matches_page_number=1, name_hidden=True)
        document = self._layout(context)
        slot = daybase.find_slot(document) if named else None
        built = None
        if slot is not None or not named:
            pages = (body.cover_page, body.matches_page)
            cover = document.write_pdf()
            built = daybase.build(
                body.pdf, pages, cover, slot, self.name_font(), self._title(variant)
            )
        if built is not None:
            files = {".day.json": daybase.dumps(built), ".day.pdf": built.base.pdf}
            disk.write(disk_key, files)
            disk.prune_before((day - timedelta(days=1)).isoformat())  # a day's bases serve a day
        return self._days.put(key, built)

    def _matches_page(self, variant: outline.Variant, personal: Personal) -> daybase.PageCopy:
        """The "Specialists near you" page for these matches: it names no one, so it is kept.

        Kept by a digest of everything it shows, in this process's memory
        only: a ZIP with the specialists for a diagnosis is never written to
        the disk cache, which holds nothing from a reader.
        """
        body = self.body(variant)
        number = (body.matches_page or 0) + 1
        shown = personal.matches[:MAX_MATCHES]
        content = (self.org, variant.language, number, personal.zip, shown, personal.matches_note)
        key = hashlib.sha256(repr(content).encode()).hexdigest()
        found, copy = self._matches.get(key)
        if found and copy is not None:
            return copy
        matches = list(personal.matches[:MAX_MATCHES])
        drawn = self._drawn_matches_page(variant, personal, matches, number)
        if drawn is not None:
            return self._matches.put(key, daybase.copy_page(drawn))
        while True:
            context = self._context(variant, replace(personal, name=None, matches=tuple(matches)))
            context.update(matches_page_number=number, show_cover=False)
            document = self._layout(context)
            if len(document.pages) <= 1 or len(matches) <= 1:
                break
            matches.pop()  # long reasons pushed the page over: show one fewer
        return self._matches.put(key, daybase.copy_page(document.write_pdf()))

    def _drawn_matches_page(
        self, variant: outline.Variant, personal: Personal, matches: list[MatchCard], number: int
    ) -> bytes | None:
        """The page drawn without a layout engine (``matches_drawn.py``); None: lay it out.

        Fewer cards when they overflow the page, as the laid-out page does.
        """
        while matches:
            text = matches_text(
                variant.language,
                personal.zip,
                tuple(matches),
                self.org.phone,
                personal.matches_note,
            )
            if not matches_drawn.can_draw(self.static, text, self.org.name):
                return None
            try:
                return matches_drawn.draw(self.static, text, self.org.name, number)
            except matches_drawn.TooLong:
                matches = matches[:-1]
        return None

    def _layout(self, context: dict[str, Any]) -> Any:
        """``personal.html`` laid out by WeasyPrint with the guide's stylesheet."""
        import weasyprint

        html = self.env.get_template("guide/personal.html").render(context)
        return weasyprint.HTML(string=html, base_url=self._base_url()).render(
            stylesheets=[self._stylesheet_for()], font_config=self._font_config()
        )

    def _personal_pages(self, variant: outline.Variant, personal: Personal, body: Body) -> bytes:
        """The cover, and the matches page numbered as in the body; fewer matches if too long."""
        matches = list(personal.matches[:MAX_MATCHES])
        while True:
            context = self._context(variant, replace(personal, matches=tuple(matches)))
            context["matches_page_number"] = (body.matches_page or 0) + 1
            document = self._layout(context)
            wanted = 2 if body.matches_page is not None else 1
            if len(document.pages) <= wanted or len(matches) <= 1:
                return bytes(document.write_pdf())
            matches.pop()  # long reasons pushed the page over: show one fewer

    def _title(self, variant: outline.Variant) -> str:
        base = (
            "Su guía sobre el mesotelioma"
            if variant.language == "es"
            else "Your guide to mesothelioma"
        )
        return f"{base} · {self.org.name}"

    def _base_url(self) -> str:
        return self.static.as_uri() + "/"

    def _font_config(self) -> Any:
        if self._fonts is None:
            from weasyprint.text.fonts import FontConfiguration

            self._fonts = FontConfiguration()
        return self._fonts

    def _stylesheet_for(self) -> Any:
        """The guide's stylesheet parsed once per process (its fonts loaded once too)."""
        if self._stylesheet is None:
            import weasyprint

            self._stylesheet = weasyprint.CSS(
                filename=str(self.static / "guide" / "guide.css"), font_config=self._font_config()
            )
        return self._stylesheet
