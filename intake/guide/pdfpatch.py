"""Changing a few objects of a finished PDF by appending to it (an incremental update).

PDF lets a writer leave a file's bytes as they are and append new versions
of some objects, a cross-reference section for just those objects and a
trailer pointing back at the previous one (PDF 32000-1 §7.5.6; it is how
viewers save form fields and signatures).  Appending a reader's name to a
base PDF prepared once that day costs microseconds, where opening, editing
and saving the 40-page guide costs milliseconds.

Objects to append are bytes with a hole for each reference to another new
object (``Template``), so a page copied out of another PDF once (the
"Specialists near you" page) can be appended to any base, whatever object
numbers are free in it.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# bytes, and ints that stand for "the number of the n-th new object"
Template = tuple[bytes | int, ...]


@dataclass(frozen=True)
class Base:
    """A finished PDF and what an update must repeat from its trailer."""

    pdf: bytes
    size: int  # first unused object number
    root: bytes  # b"12 0 R"
    info: bytes | None
    first_id: bytes
    startxref: int

    @classmethod
    def of(cls, data: bytes) -> Base:
        """Read the trailer of a PDF written by qpdf (pikepdf)."""
        import pikepdf

        tail = data[-64:]
        startxref = int(tail[tail.rindex(b"startxref") + 9 :].split()[0])
        with pikepdf.open(io.BytesIO(data)) as pdf:
            trailer = pdf.trailer
            info = trailer.get("/Info")
            return cls(
                pdf=data,
                size=int(trailer.Size),
                root=_ref(trailer.Root),
                info=_ref(info) if info is not None else None,
                first_id=bytes(trailer.ID[0]),
                startxref=startxref,
            )


def fill(template: Template, first: int) -> bytes:
    """The template with its holes numbered from ``first``."""
    return b"".join(p if isinstance(p, bytes) else b"%d 0 R" % (first + p) for p in template)


def append(base: Base, objects: dict[int, bytes]) -> bytes:
    """``base`` with these objects (number -> body, without ``obj``/``endobj``) appended."""
    return base.pdf + update(base, objects)


def update(base: Base, objects: dict[int, bytes]) -> bytes:
    """The incremental update that ``append`` puts after ``base``'s bytes.

    The update's cross-reference is a stream, as the base's is (qpdf writes
    one with object streams); the first file identifier stays, the second
    is new, as the spec asks of an updated file.
    """
    parts: list[bytes] = []
    offset = len(base.pdf)
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
        offsets[number] = offset
        offset += len(chunk)
        parts.append(chunk)
    xref_number = max(base.size, max(objects, default=0) + 1)
    offsets[xref_number] = offset
    index: list[int] = []
    for number in sorted(offsets):
        if index and index[-2] + index[-1] == number:
            index[-1] += 1
        else:
            index += [number, 1]
    rows = b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in sorted(offsets))
    trailer = b"/Root %s%s /ID [<%s> <%s>] /Prev %d" % (
        base.root,
        b" /Info " + base.info if base.info else b"",
        base.first_id.hex().encode(),
        os.urandom(16).hex().encode(),
        base.startxref,
    )
    parts.append(
        b"%d 0 obj\n<< /Type /XRef /Size %d /Index [%s] /W [1 4 2] %s /Length %d >>\nstream\n"
        % (xref_number, xref_number + 1, b" ".join(b"%d" % i for i in index), trailer, len(rows))
    )
    parts.append(rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offset)
    return b"".join(parts)


class Relocator:
    """Serialises objects of one PDF as templates, giving each indirect object a hole number.

    ``skip`` names dictionary keys left out (a page's ``/Parent``, an
    annotation's ``/P``): what points back into the PDF the page came from.
    With ``renumber`` False, references keep their numbers: for writing a
    new version of an object of the same PDF.
    """

    def __init__(
        self, skip: frozenset[str] = frozenset({"/Parent", "/P"}), renumber: bool = True
    ) -> None:
        self.skip, self.renumber = skip, renumber
        self.holes: dict[tuple[int, int], int] = {}
        self.bodies: list[Template] = []

    def template(self, obj: Any) -> Template:
        """``obj`` as a direct object (an indirect one becomes a reference to its copy)."""
        out: list[bytes | int] = []
        self._write(obj, out)
        return joined(out)

    def _hole(self, obj: Any) -> int:
        key = obj.objgen
        if key not in self.holes:
            self.holes[key] = len(self.holes)
            self.bodies.append(())
            self.bodies[self.holes[key]] = self.body(obj)
        return self.holes[key]

    def body(self, obj: Any) -> Template:
        """An indirect object's own body (a stream's dictionary and data), not a reference."""
        import pikepdf

        out: list[bytes | int] = []
        if isinstance(obj, pikepdf.Stream):
            data = obj.read_raw_bytes()
            self._write_dict(obj.stream_dict, out, length=len(data))
            out.append(b"\nstream\n" + data + b"\nendstream")
        else:
            self._write_direct(obj, out)
        return joined(out)

    def _write(self, obj: Any, out: list[bytes | int]) -> None:
        import pikepdf

        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            out.append(self._hole(obj) if self.renumber else _ref(obj))
        else:
            self._write_direct(obj, out)

    def _write_direct(self, obj: Any, out: list[bytes | int]) -> None:
        import pikepdf

        if isinstance(obj, pikepdf.Dictionary):
            self._write_dict(obj, out)
        elif isinstance(obj, pikepdf.Array):
            flat = obj.unparse()
            if b"R" not in flat:  # no reference can be in it (a font's widths): as it is, at once
                out.append(flat)
                return
            out.append(b"[")
            for item in obj:
                self._write(item, out)
                out.append(b" ")
            out.append(b"]")
        elif isinstance(obj, bool):
            out.append(b"true" if obj else b"false")
        elif isinstance(obj, int):
            out.append(b"%d" % obj)
        elif isinstance(obj, float | Decimal):
            out.append(format(Decimal(obj).normalize(), "f").encode())
        elif obj is None:
            out.append(b"null")
        else:  # names and strings
            out.append(pikepdf.Object.unparse(obj))

    def _write_dict(self, obj: Any, out: list[bytes | int], length: int | None = None) -> None:
        import pikepdf

        out.append(b"<<")
        for key in obj.keys():  # noqa: SIM118 (a pikepdf Dictionary)
            if key in self.skip or (length is not None and key == "/Length"):
                continue
            out.append(pikepdf.Name(key).unparse() + b" ")
            self._write(obj.get(key), out)
            out.append(b" ")
        if length is not None:
            out.append(b"/Length %d " % length)
        out.append(b">>")


def joined(parts: list[bytes | int]) -> Template:
    """Adjacent bytes merged, so filling a template is a short join."""
    merged: list[bytes | int] = []
    for part in parts:
        if isinstance(part, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return tuple(merged)


def _ref(obj: Any) -> bytes:
    number, generation = obj.objgen
    return b"%d %d R" % (number, generation)
