"""Where a patient is, for calling purposes: state and IANA zone, from a ZIP or stored fields."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from intake.matching import geo


@dataclass(frozen=True)
class Place:
    """Where the patient is, for calling purposes; a None field is simply unknown."""

    zip: str | None
    state: str | None  # two-letter code, territories too (PR, GU, VI, AS, MP)
    timezone: str | None  # a valid IANA name, None when unknown or invalid


class UnknownZip(ValueError):
    """The ZIP is malformed or not a US ZIP we know, so there is no place to call into."""


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone for an IANA name, None when missing or invalid (zipcodes has 'Napakiak')."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def locate(zip_code: str) -> Place | None:
    """The place of a ZIP (ZIP+4 and spaces accepted), or None when malformed or unknown."""
    point = geo.lookup(geo.normalize_zip(zip_code))
    if point is None:
        return None
    return place_for(point.state, point.timezone, point.zip)


def place_for(state: str | None, timezone: str | None, zip_code: str | None = None) -> Place:
    """A place from a case's stored fields; an invalid time zone name counts as unknown."""
    code = (state or "").strip().upper() or None
    tz = timezone if zone(timezone) is not None else None
    return Place(geo.normalize_zip(zip_code) or None, code, tz)


def state_zones(state: str) -> tuple[str, ...]:
    """Every valid time zone among the state's ZIPs: the places a patient there may be."""
    return _zones_by_state().get(state, ())


@lru_cache(maxsize=1)
def _zones_by_state() -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for zip_code in geo.all_zips():
        point = geo.lookup(zip_code)
        if point is not None and point.timezone and zone(point.timezone) is not None:
            found.setdefault(point.state, set()).add(point.timezone)
    return {state: tuple(sorted(zones)) for state, zones in found.items()}
