"""What the renderer is given and keeps: who sends the guide, the reader's own parts, a body."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
    section_title: str = ""  # the heading of its section, as on the /match page


@dataclass(frozen=True)
class Personal:
    """What is the reader's own and never cached: name, date, ZIP and their matches."""

    name: str | None = None
    prepared_on: date | None = None
    zip: str | None = None
    matches: tuple[MatchCard, ...] = field(default_factory=tuple)
    matches_note: str = ""  # why the nearest good match is far, when it is


@dataclass(frozen=True)
class Body:
    """A variant's rendered body and where its reader's pages go (page indexes)."""

    pdf: bytes
    cover_page: int
    matches_page: int | None
