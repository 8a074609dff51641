"""Printed guides as one file to print: for each reader, an address sheet, then their guide.

The guides come from ``render.GuideRenderer`` exactly as emailed; this module
lays out the sheet that goes on top (``templates/print/address_sheet.html``,
placed for a #10 double-window envelope) and joins everything into one PDF.
Each sheet and each guide starts on a fresh sheet of paper when printed on
both sides (a blank back page where a part has an odd number of pages), so
no one's guide is printed on the back of someone else's.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from intake.guide.render import GuideRenderer

LETTER = (612, 792)  # points: what every page here is laid out on


@dataclass(frozen=True)
class AddressSheet:
    """What one reader's address sheet shows: their address, a greeting, and its place."""

    first_name: str | None
    address_lines: tuple[str, ...]
    language: str
    dated: str  # already formatted in the reader's language
    batch: int
    position: int
    count: int
    item: int


@dataclass(frozen=True)
class Pack:
    """One reader's part of the print file: their sheet and their guide (PDF bytes)."""

    sheet: AddressSheet
    guide: bytes


def return_lines(postal_address: str) -> tuple[str, ...]:
    """Our postal address as an envelope sets it: who, the street, then "City, ST ZIP".

    ``MAIL_POSTAL_ADDRESS`` is one line ("Name, 100 Street, Suite 2, City, ST 12345");
    the last two parts share a line, the ones between them are the street.
    """
    parts = [part.strip() for part in postal_address.replace("\n", ", ").split(",")]
    parts = [part for part in parts if part]
    if len(parts) < 3:
        return tuple(parts)
    lines = (parts[0], ", ".join(parts[1:-2]), ", ".join(parts[-2:]))
    return tuple(line for line in lines if line)


def sheet_pdf(renderer: GuideRenderer, sheet: AddressSheet) -> bytes:
    """The address sheet as a one-page PDF, in the guide's typeface."""
    import weasyprint

    html = renderer.env.get_template("print/address_sheet.html").render(
        s=sheet, org=renderer.org, from_lines=return_lines(renderer.org.postal_address)
    )
    document = weasyprint.HTML(string=html, base_url=renderer.static.as_uri() + "/")
    return bytes(document.write_pdf())


def join(renderer: GuideRenderer, packs: Sequence[Pack], title: str) -> bytes:
    """One PDF: each pack's sheet then its guide, in the order given, each on fresh paper."""
    import pikepdf

    out = pikepdf.Pdf.new()
    with contextlib.ExitStack() as opened:  # sources stay open until the copy is saved
        for pack in packs:
            for part in (sheet_pdf(renderer, pack.sheet), pack.guide):
                source = opened.enter_context(pikepdf.open(io.BytesIO(part)))
                _append(out, source)
        out.docinfo["/Title"] = title
        buffer = io.BytesIO()
        out.save(buffer)
    return buffer.getvalue()


def _append(out: Any, source: Any) -> None:
    """Copy every page (without links, which point nowhere on paper); pad to an even count."""
    for page in source.pages:
        if "/Annots" in page.obj:
            del page.obj["/Annots"]
        out.pages.append(page)
    if len(source.pages) % 2:
        out.add_blank_page(page_size=LETTER)
