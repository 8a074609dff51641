"""US ZIP code points and great-circle distances.

The ``zipcodes`` package ships every US ZIP with its centroid and time zone,
but its own look-up loads ~43k dicts on first use and scans them.  We load it
once per process into a compact dict of tuples, so later look-ups are a dict
hit and the memory stays small.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

EARTH_RADIUS_MILES = 3958.7613
_ZIP_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True, slots=True)
class ZipPoint:
    """A ZIP code centroid with the facts the product needs about it."""

    zip: str
    lat: float
    lon: float
    city: str
    state: str
    timezone: str | None


_index: dict[str, tuple[float, float, str, str, str | None]] | None = None
_lock = threading.Lock()


def _load_index() -> dict[str, tuple[float, float, str, str, str | None]]:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                import zipcodes  # imported lazily: it parses its bundled data on import

                index = {}
                for row in zipcodes.list_all():
                    try:
                        lat, lon = float(row["lat"]), float(row["long"])
                    except (TypeError, ValueError):
                        continue
                    index[row["zip_code"]] = (
                        lat,
                        lon,
                        row.get("city") or "",
                        row.get("state") or "",
                        row.get("timezone") or None,
                    )
                _index = index
    return _index


def warm() -> None:
    """Load the ZIP index now, so the first request does not pay for it."""
    _load_index()


def is_well_formed(zip_code: str) -> bool:
    """True for exactly five ASCII digits (ZIP+4 and spaces are normalised by callers)."""
    return bool(_ZIP_RE.match(zip_code or ""))


def normalize_zip(raw: str | None) -> str:
    """Accept '10001', ' 10001 ' and '10001-1234'; return the five-digit part or ''."""
    value = (raw or "").strip()
    if len(value) == 10 and value[5] == "-" and value[:5].isdigit() and value[6:].isdigit():
        value = value[:5]
    return value if is_well_formed(value) else ""


def lookup(zip_code: str) -> ZipPoint | None:
    """The centroid of a five-digit ZIP, or None when it is malformed or does not exist."""
    if not is_well_formed(zip_code):
        return None
    row = _load_index().get(zip_code)
    if row is None:
        return None
    lat, lon, city, state, tz = row
    return ZipPoint(zip_code, lat, lon, city, state, tz)


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def distance_miles(a: ZipPoint, b: ZipPoint) -> float:
    """The spec's distance: great-circle miles between two ZIP centroids, one decimal."""
    return round(haversine_miles(a.lat, a.lon, b.lat, b.lon), 1)


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float] | None:
    """(lat_min, lat_max, lon_min, lon_max) holding every point within ``miles`` of a point.

    Lets a spatial index skip far-away cells.  None when the circle reaches a
    pole or crosses the antimeridian (callers then scan everything).
    """
    angle = max(miles, 0.0) / EARTH_RADIUS_MILES
    dlat = math.degrees(angle)
    lat_min, lat_max = lat - dlat, lat + dlat
    if lat_min <= -90.0 or lat_max >= 90.0:
        return None
    spread = math.sin(angle) / math.cos(math.radians(lat))
    if spread >= 1.0:
        return None
    dlon = math.degrees(math.asin(spread))
    lon_min, lon_max = lon - dlon, lon + dlon
    if lon_min < -180.0 or lon_max > 180.0:
        return None
    return lat_min, lat_max, lon_min, lon_max


def all_zips() -> list[str]:
    """Every known five-digit ZIP, sorted: for test data, benchmarks and demo generators."""
    return sorted(_load_index())
