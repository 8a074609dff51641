"""The guide as a PDF: a cached body per variant, with the reader's own pages stitched in.

Laying out a 30-50 page guide takes WeasyPrint about two seconds, far too
slow to do per email, and almost all of it is the same for everyone with
the same diagnosis facts and topics (``outline.Variant``).  So the body is
rendered once per variant and kept (in memory and on disk, in a folder named
by a digest of the templates, stylesheet, fonts and WeasyPrint's version, so
any change to them starts a fresh cache).  The body carries a neutral cover
("Prepared for you") and, when the reader gave a ZIP, an empty "Specialists
near you" page in their places.

Per reader, only those pages are laid out (a one- or two-page document, a
few tens of milliseconds) and their content is copied into the body's page
objects.  Keeping the body's page objects keeps every link, bookmark and
table-of-contents entry that points at them valid.  Nothing personal is ever
written into the cache: the cached body is rendered without a name, a ZIP or
matches, and a fresh copy of it is opened for each reader.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from intake.guide import outline

MEMORY_ENTRIES = 48  # bodies kept per process (about 150 KB each)
MAX_MATCHES = 5  # what fits the one "Specialists near you" page
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}


@dataclass(frozen=True)
class Org:
    """Who sends the guide: named on the cover, the back page and the matches page."""

    name: str
    phone: str
    website: str
    postal_address: str


@dataclass(frozen=True)
class MatchCard:
    """One specialist on the "Specialists near you" page (public listing facts only)."""

    name: str
    institution: str
    city: str
    state: str
    distance_miles: float | None
    reasons: tuple[str, ...]
    phone: str = ""
    website: str = ""
    telehealth: bool = False


@dataclass(frozen=True)
class Personal:
    """What is the reader's own and never cached: name, date, ZIP and their matches."""

    name: str | None = None
    prepared_on: date | None = None
    zip: str | None = None
    matches: tuple[MatchCard, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Body:
    """A variant's rendered body and where its reader's pages go (page indexes)."""

    pdf: bytes
    cover_page: int
    matches_page: int | None


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
        self.digest = source_digest(templates / "guide", static / "guide", static / "fonts")
        self.cache_dir = cache_dir / self.digest if cache_dir else None
        self._memory: OrderedDict[str, Body] = OrderedDict()
        self._lock = threading.Lock()
        self._stylesheet: Any = None
        self._fonts: Any = None

    # --- the body, once per variant -------------------------------------------------------

    def body(self, variant: outline.Variant) -> Body:
        """The variant's body: from memory, else from disk, else rendered and stored."""
        variant = normalised(variant)
        key = outline.variant_key(variant)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        body = self._from_disk(key) or self._render_body(variant, key)
        with self._lock:
            self._memory[key] = body
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)
        return body

    def _context(self, variant: outline.Variant, personal: Personal) -> dict[str, Any]:
        day = personal.prepared_on or date.today()
        return {
            "v": variant,
            "chapters": outline.chapters_for(variant),
            "name": personal.name,
            "prepared_on": format_date(day, variant.language),
            "matches": list(personal.matches),
            "zip": personal.zip,
            "org": self.org,
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

    def _cache_file(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        name = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self.cache_dir / f"{name}.pdf"

    def _from_disk(self, key: str) -> Body | None:
        path = self._cache_file(key)
        if path is None or not path.exists():
            return None
        meta = path.with_suffix(".pages").read_text().split(",")
        return Body(path.read_bytes(), int(meta[0]), int(meta[1]) if meta[1] else None)

    def _to_disk(self, key: str, body: Body) -> None:
        """Write atomically, so a process reading it never sees half a file."""
        path = self._cache_file(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        pages = f"{body.cover_page},{'' if body.matches_page is None else body.matches_page}"
        for target, data in ((path.with_suffix(".pages"), pages.encode()), (path, body.pdf)):
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)

    # --- the reader's pages, every time -----------------------------------------------------

    def render(self, variant: outline.Variant, personal: Personal) -> bytes:
        """The whole guide for one reader."""
        import pikepdf

        variant = normalised(replace(variant, has_matches=bool(personal.matches)))
        body = self.body(variant)
        own = self._personal_pages(variant, personal, body)
        with pikepdf.open(io.BytesIO(body.pdf)) as pdf, pikepdf.open(io.BytesIO(own)) as mine:
            _swap_content(pdf, body.cover_page, mine, 0)
            if body.matches_page is not None:
                _swap_content(pdf, body.matches_page, mine, 1)
            pdf.docinfo["/Title"] = self._title(variant)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=False)
        return out.getvalue()

    def _personal_pages(self, variant: outline.Variant, personal: Personal, body: Body) -> bytes:
        """The cover, and the matches page numbered as in the body; fewer matches if too long."""
        import weasyprint

        matches = list(personal.matches[:MAX_MATCHES])
        while True:
            context = self._context(variant, replace(personal, matches=tuple(matches)))
            context["matches_page_number"] = (body.matches_page or 0) + 1
            html = self.env.get_template("guide/personal.html").render(context)
            document = weasyprint.HTML(string=html, base_url=self._base_url()).render(
                stylesheets=[self._stylesheet_for()], font_config=self._font_config()
            )
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


def _swap_content(pdf: Any, index: int, source: Any, source_index: int) -> None:
    """Give the body's page ``index`` the content of ``source``'s page, keeping the page object.

    Links, bookmarks and the table of contents point at page objects, so
    the object stays and only what is drawn on it (and its own links) changes.
    """
    import pikepdf

    target = pdf.pages[index].obj
    page = source.pages[source_index].obj
    target.Contents = _copy(pdf, source, page.Contents)
    target.Resources = _copy(pdf, source, page.Resources)
    if "/Annots" in target:
        del target["/Annots"]
    if "/Annots" in page:
        links = []
        for annotation in page.Annots:
            if "/P" in annotation:  # its parent page: the body's page is the parent now
                del annotation["/P"]
            links.append(_copy(pdf, source, annotation))
        target.Annots = pikepdf.Array(links)
    target.MediaBox = pikepdf.Array(page.MediaBox)


def _copy(pdf: Any, source: Any, obj: Any) -> Any:
    """An object of ``source`` copied into ``pdf`` (qpdf copies indirect objects only)."""
    return pdf.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))
