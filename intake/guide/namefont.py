"""The cover's name font as a simple PDF font: its name written without a layout engine.

A name in Windows-1252 needs no shaping: one glyph per character, left to
right, moved only by the font's pair kerning.  So the name on the cover can
be a one-line content stream in a simple TrueType font (``/WinAnsiEncoding``,
one byte per character) embedded once in a day's base PDF, instead of a
WeasyPrint layout per reader.  Widths and kerning come from the same font
file the stylesheet uses, so the name measures and sits as WeasyPrint would
have set it.  Names with any other character are left to WeasyPrint.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # what CSS collapses (not no-break spaces)
_LITERAL = re.compile(rb"[\\()\r\n]")


def collapse(name: str) -> str:
    """The name as CSS ``white-space: normal`` shows it."""
    return _WHITESPACE.sub(" ", name).strip(" ")


class NameFont:
    """One font file, subset to the Windows-1252 characters it has, with its metrics."""

    def __init__(self, path: Path, postscript_name: str) -> None:
        from fontTools.ttLib import TTFont

        font = TTFont(str(path))
        self.units = font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"]
        self._glyph: dict[str, str] = {}
        self.widths: list[int] = []  # per code 32..255, in 1/1000 em
        for code in range(32, 256):
            char = bytes([code]).decode("cp1252", errors="ignore")
            glyph = cmap.get(ord(char)) if char else None
            if glyph is not None and char not in "\x7f\xad":  # a soft hyphen is not drawn
                self._glyph[char] = glyph
            self.widths.append(round(hmtx[glyph][0] * 1000 / self.units) if glyph else 0)
        self.name = postscript_name
        self._pairs = _pair_kerning(font)
        self._kerns: dict[tuple[str, str], int] = {}
        self.metrics = _metrics(font)
        self.program = _subset(TTFont(str(path)), {ord(c) for c in self._glyph})

    def can_set(self, name: str) -> bool:
        """True when every character is in Windows-1252 and in this font."""
        return bool(name) and all(char in self._glyph for char in name)

    def width(self, name: str, size: float) -> float:
        """The advance of ``name`` at ``size``, kerning included (what Pango would measure)."""
        total = sum(self.widths[ord(c.encode("cp1252")) - 32] for c in name)
        total += sum(self._kern(a, b) for a, b in zip(name, name[1:], strict=False))
        return total * size / 1000

    def show(self, name: str) -> bytes:
        """A ``TJ`` operator drawing ``name``, kerned (positive numbers move left in PDF)."""
        parts: list[bytes] = [b"["]
        run = name[0]
        for left, right in zip(name, name[1:], strict=False):
            kern = self._kern(left, right)
            if kern:
                parts.append(b"(%s) %d " % (_escape(run), -kern))
                run = ""
            run += right
        parts.append(b"(%s)] TJ" % _escape(run))
        return b"".join(parts)

    def _kern(self, left: str, right: str) -> int:
        key = (left, right)
        if key not in self._kerns:
            units = self._pairs(self._glyph[left], self._glyph[right])
            self._kerns[key] = round(units * 1000 / self.units)
        return self._kerns[key]

    def pdf_objects(self, pdf: Any) -> Any:
        """The font as an indirect ``/TrueType`` dictionary in ``pdf`` (call once per PDF)."""
        import pikepdf

        program = pdf.make_stream(self.program)
        program.Length1 = len(self.program)
        descriptor = pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=pikepdf.Name("/" + self.name),
            FontFile2=program,
            Flags=32,  # non-symbolic: codes are WinAnsi characters
            **self.metrics,
        )
        return pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.TrueType,
                BaseFont=pikepdf.Name("/" + self.name),
                FirstChar=32,
                LastChar=255,
                Widths=pikepdf.Array(self.widths),
                Encoding=pikepdf.Name.WinAnsiEncoding,
                FontDescriptor=pdf.make_indirect(descriptor),
            )
        )


def _escape(run: str) -> bytes:
    """A PDF literal string's inside: the cp1252 bytes, with \\, ( and ) escaped."""
    return _LITERAL.sub(lambda m: b"\\%03o" % m.group()[0], run.encode("cp1252"))


def _metrics(font: Any) -> dict[str, Any]:
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    scale = 1000 / head.unitsPerEm
    return {
        "FontBBox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "ItalicAngle": 0,
        "Ascent": round(hhea.ascent * scale),
        "Descent": round(hhea.descent * scale),
        "CapHeight": round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
        "StemV": 140,  # bold; only a hint for substitution, which never happens when embedded
    }


def _subset(font: Any, unicodes: set[int]) -> bytes:
    """A TrueType program with only these characters (and their (3,1) cmap for WinAnsi)."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []  # kerning is applied in the TJ array, not by the viewer
    options.notdef_outline = True
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.flavor = None  # WOFF in, plain TrueType out
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _pair_kerning(font: Any) -> Any:
    """A function (left glyph, right glyph) -> kerning in font units, from GPOS ``kern``."""
    subtables: list[Any] = []
    if "GPOS" in font:
        table = font["GPOS"].table
        indexes = {
            i
            for record in table.FeatureList.FeatureRecord
            if record.FeatureTag == "kern"
            for i in record.Feature.LookupListIndex
        }
        for i in sorted(indexes):
            for sub in table.LookupList.Lookup[i].SubTable:
                sub = sub.ExtSubTable if getattr(sub, "ExtensionLookupType", None) else sub
                if getattr(sub, "LookupType", 2) == 2 and hasattr(sub, "Coverage"):
                    subtables.append(sub)

    def kern(left: str, right: str) -> int:
        for sub in subtables:
            if left not in sub.Coverage.glyphs:
                continue
            if sub.Format == 1:
                pairs = sub.PairSet[sub.Coverage.glyphs.index(left)].PairValueRecord
                for record in pairs:
                    if record.SecondGlyph == right:
                        return int(getattr(record.Value1, "XAdvance", 0) or 0)
                continue  # not this pair: a later subtable may have it
            first = sub.ClassDef1.classDefs.get(left, 0)
            second = sub.ClassDef2.classDefs.get(right, 0)
            value = sub.Class1Record[first].Class2Record[second].Value1
            return int(getattr(value, "XAdvance", 0) or 0)  # a class subtable ends the search
        return 0

    return kern
