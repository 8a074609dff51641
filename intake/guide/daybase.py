"""A day's base guide: the cached body with that day's cover and a blank where the name goes.

Everyone who gets the same variant on the same day gets the same PDF but
for two things: the name on the cover and the "Specialists near you" page.
So that PDF is prepared once per process and day (``build``): the cover is
laid out by WeasyPrint with a stand-in name that takes its place in the
line but is not drawn (``visibility: hidden``), WeasyPrint's layout says
where that name begins, its baseline and how much of the line is left, and
the cover's content is cut just after "Prepared for" is drawn, with an
empty stream in the cut.  The font for names (``namefont``) is embedded
once.  Per reader (``personalise``) the empty stream gets a new version
drawing their name, and the matches page a new version with a page copied
from a one-page PDF, both appended as an incremental update (``pdfpatch``):
no layout, no parsing, no PDF library.

Nothing personal is in a base: the stand-in name is never drawn, and the
base's bytes are only ever copied, never changed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from intake.guide import pdfpatch
from intake.guide.namefont import NameFont

STAND_IN = "Stand In"  # laid out hidden, so never in any PDF
FONT_RESOURCE = "/GuideName"


@dataclass(frozen=True)
class Slot:
    """Where the name goes on the cover, in WeasyPrint's page frame (CSS px, y down)."""

    x: float
    baseline: float
    size: float
    room: float  # from ``x`` to the end of the line
    rgb: tuple[float, float, float]


@dataclass(frozen=True)
class DayBase:
    """A base PDF and the object numbers a reader's update replaces."""

    base: pdfpatch.Base
    name_object: int
    slot: Slot | None  # None: the cover has no name (no name was given)
    matches_object: int | None
    matches_rest: bytes  # the matches page's dictionary entries that stay


@dataclass(frozen=True)
class PageCopy:
    """A page of another PDF, ready to append as a new version of a base's page."""

    entries: pdfpatch.Template  # /Contents, /Resources, /Annots, referring to ``objects``
    objects: tuple[pdfpatch.Template, ...]


def dumps(day: DayBase) -> bytes:
    """What ``loads`` needs besides the PDF, for the disk cache shared by worker processes."""
    return json.dumps(
        {
            "name_object": day.name_object,
            "slot": asdict(day.slot) if day.slot else None,
            "matches_object": day.matches_object,
            "matches_rest": day.matches_rest.decode("latin-1"),
        }
    ).encode()


def loads(meta: bytes, pdf: bytes) -> DayBase:
    """A day base written by ``dumps`` and its PDF."""
    data = json.loads(meta)
    slot = data["slot"] and Slot(**{**data["slot"], "rgb": tuple(data["slot"]["rgb"])})
    return DayBase(
        pdfpatch.Base.of(pdf),
        data["name_object"],
        slot or None,
        data["matches_object"],
        data["matches_rest"].encode("latin-1"),
    )


def find_slot(document: Any, element_class: str = "cover-name") -> Slot | None:
    """The hidden name's place on the first page, or None if its style is not the name font's.

    The fast path draws in Atkinson Hyperlegible Bold, kerned, opaque sRGB,
    the characters as they are: any other style (a stylesheet change) is
    left to WeasyPrint.
    """
    for box, parents in _walk(document.pages[0]._page_box, ()):
        if type(box).__name__ != "TextBox" or not parents:
            continue
        element = getattr(parents[-1], "element", None)
        if element is None or element.get("class") != element_class:
            continue
        style = box.style
        block = next(p for p in reversed(parents) if type(p).__name__ == "BlockBox")
        color = style["color"]
        if (
            style["font_family"][0] != "Atkinson Hyperlegible"
            or style["font_weight"] != 700
            or style["font_style"] != "normal"
            or style["letter_spacing"] != "normal"
            or style["word_spacing"] != 0
            or style["text_transform"] != "none"
            or style["font_variant_caps"] != "normal"
            or style["font_feature_settings"] != "normal"
            or style["font_kerning"] == "none"
            or color.space not in ("srgb", "hsl", "hwb")
            or color.alpha != 1
        ):
            return None
        red, green, blue = color.to("srgb").coordinates
        return Slot(
            x=box.position_x,
            baseline=box.position_y + box.baseline,
            size=style["font_size"],
            room=block.content_box_x() + block.width - box.position_x,
            rgb=(red, green, blue),
        )
    return None


def _walk(box: Any, parents: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    yield box, parents
    for child in getattr(box, "children", None) or ():
        yield from _walk(child, (*parents, box))


def build(
    body_pdf: bytes,
    pages: tuple[int, int | None],
    cover_pdf: bytes,
    slot: Slot | None,
    font: NameFont,
    title: str,
) -> DayBase | None:
    """The body with this cover and an empty name stream; None if the cut cannot be found."""
    import pikepdf

    cover_page, matches_page = pages
    with pikepdf.open(io.BytesIO(body_pdf)) as pdf, pikepdf.open(io.BytesIO(cover_pdf)) as cover:
        swap_content(pdf, cover_page, cover, 0)
        page = pdf.pages[cover_page]
        placeholder = pdf.make_stream(b"")
        if slot is None:
            page.obj.Contents = pikepdf.Array([*_streams(page.obj.Contents), placeholder])
        else:
            before, after = _cut(page, slot)
            if before is None:
                return None
            page.obj.Contents = pikepdf.Array(
                [pdf.make_stream(before), placeholder, pdf.make_stream(after)]
            )
            page.obj.Resources.Font[FONT_RESOURCE] = font.pdf_objects(pdf)
        pdf.docinfo["/Title"] = title
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    data = out.getvalue()
    with pikepdf.open(io.BytesIO(data)) as saved:  # qpdf renumbers objects as it saves
        name_object = saved.pages[cover_page].obj.Contents[1 if slot else -1].objgen[0]
        matches_object, rest = None, b""
        if matches_page is not None:
            matches = saved.pages[matches_page].obj
            matches_object = matches.objgen[0]
            keep = pdfpatch.Relocator(frozenset({"/Contents", "/Resources", "/Annots"}), False)
            rest = pdfpatch.fill(keep.body(matches), 0)[2:-2]
    return DayBase(pdfpatch.Base.of(data), name_object, slot, matches_object, rest)


def _streams(contents: Any) -> list[Any]:
    import pikepdf

    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def _cut(page: Any, slot: Slot) -> tuple[bytes | None, bytes]:
    """The cover's content split just after the text object that ends on the name's line."""
    import pikepdf

    ops = pikepdf.parse_content_stream(page)
    names = [str(op.operator) for op in ops]
    line = [
        i
        for i, op in enumerate(ops)
        if names[i] == "Tm"
        and abs(float(op.operands[5]) - slot.baseline) < 0.01  # type: ignore[union-attr]
        and float(op.operands[4]) < slot.x  # type: ignore[union-attr]
    ]
    end = next((i for i in range(line[-1], len(ops)) if names[i] == "ET"), None) if line else None
    if end is None:
        return None, b""
    return (
        pikepdf.unparse_content_stream(ops[: end + 1]),
        pikepdf.unparse_content_stream(ops[end + 1 :]),
    )


def name_stream(font: NameFont, slot: Slot, name: str) -> bytes:
    """The content stream that draws ``name`` in the slot (an object body, for ``append``)."""
    red, green, blue = slot.rgb
    operators = b"q 0 Tc 0 Tw 100 Tz 0 Ts 0 Tr %.6f %.6f %.6f rg BT %s %s Tf 1 0 0 -1 %s %s Tm "
    data = operators % (
        red, green, blue, FONT_RESOURCE.encode(), _num(slot.size), _num(slot.x),
        _num(slot.baseline),
    ) + font.show(name) + b" ET Q"  # fmt: skip
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _num(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def copy_page(pdf_bytes: bytes, index: int = 0) -> PageCopy:
    """Page ``index`` of a (WeasyPrint) PDF as relocatable objects, without links to its pages.

    The page's own links go to websites; a link to a page of the PDF it
    came from would point nowhere in the base, so none is kept.
    """
    import pikepdf

    relocator = pdfpatch.Relocator()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[index].obj
        parts: list[bytes | int] = [b"/Contents "]
        parts += relocator.template(page.Contents)
        parts += [b" /Resources "]
        parts += relocator.template(page.Resources)
        links = [a for a in page.get("/Annots", ()) if "/Dest" not in a and _external(a)]
        if links:
            parts += [b" /Annots "]
            parts += relocator.template(pikepdf.Array(links))
        entries = pdfpatch.joined(parts)
        return PageCopy(entries, tuple(relocator.bodies))


def _external(annotation: Any) -> bool:
    action = annotation.get("/A")
    return action is None or action.get("/S") == "/URI"


def personalise(day: DayBase, name: bytes | None, matches: PageCopy | None) -> bytes:
    """The base with this reader's name stream and matches page appended."""
    return day.base.pdf + personal_update(day, name, matches)


def personal_update(day: DayBase, name: bytes | None, matches: PageCopy | None) -> bytes:
    """The update ``personalise`` appends to the day's base: this reader's objects only."""
    objects = {day.name_object: name or b"<< /Length 0 >>\nstream\n\nendstream"}
    if matches is not None and day.matches_object is not None:
        first = day.base.size
        page = b"<<%s %s>>" % (day.matches_rest, pdfpatch.fill(matches.entries, first))
        objects[day.matches_object] = page
        for i, template in enumerate(matches.objects):
            objects[first + i] = pdfpatch.fill(template, first)
    return pdfpatch.update(day.base, objects)


def swap_content(pdf: Any, index: int, source: Any, source_index: int) -> None:
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
