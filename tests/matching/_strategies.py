"""Shared Hypothesis strategies and builders for the matching tests (no database)."""

from __future__ import annotations

import bisect
import dataclasses
import functools

from hypothesis import assume, settings
from hypothesis import strategies as st

from intake.matching import geo, rules, tiers
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CANCER_TYPES,
    CELL_TYPE_CHOICES,
    NEEDS,
    SPECIALTIES,
    STAGE_CHOICES,
    TREATMENTS,
    Listing,
    Match,
    MatchQuery,
)

# Real ZIPs: a dense New York cluster (near ties), the big cities, and the far edges
# (Alaska, Hawaii, Puerto Rico, Guam and an APO ZIP past the antimeridian).
_ZIP_LIST = (
    "10001 10002 10003 10011 10601 07030 11201 06901 08901 02115 19104 20001 21201 30303 "
    "33101 33139 32801 60601 60611 48201 44106 55905 63110 70112 75201 77030 78701 80202 "
    "85004 87102 89101 90210 90001 94102 94305 97201 98101 99501 99546 96813 00901 96910 "
    "96507 04101 05401 12208 14642 15213 27710 37232 46202 58102 59101 83702 66160"
)
ZIPS: tuple[str, ...] = tuple(_ZIP_LIST.split())
LANGUAGES = ("en", "es", "zh", "fr")


def fast(examples: int) -> settings:
    """Hypothesis settings for a quick, file-free suite (no example database on disk).

    Generation stays random so every run explores new cases; a failure prints a
    ``@reproduce_failure`` blob to replay it.
    """
    return settings(max_examples=examples, deadline=None, database=None, print_blob=True)


def point(zip_code: str) -> geo.ZipPoint:
    """The centroid of a ZIP the tests know exists."""
    found = geo.lookup(zip_code)
    assert found is not None, zip_code
    return found


def full_sort(query: MatchQuery, items: list[Listing]) -> list[Match]:
    """rank() without its shortcuts: score every qualifying listing, sort them all."""
    plan = rules.plan_query(query, teams=tiers.teams_of(items))  # as rank() finds them
    origin = point(query.zip)
    keyed = []
    for item in items:
        if not plan.admits(item):
            continue
        miles = geo.distance_miles(origin, point(item.zip))
        score = plan.score(item, miles)
        if score is not None:
            keyed.append(((-score, miles, item.listing_id), item))
    keyed.sort(key=lambda pair: pair[0])
    return [plan.explain(item, key[1], -key[0]) for key, item in keyed[: query.limit]]


def make_listing(listing_id: str, zip_code: str, **fields: object) -> Listing:
    """A listing at a real ZIP centroid; any other field may be overridden."""
    where = point(zip_code)
    values: dict[str, object] = {
        "listing_id": listing_id,
        "name": f"Dr. Test {listing_id}, MD",
        "specialty": "medical_oncology",
        "institution": "Test Cancer Center",
        "city": where.city,
        "state": where.state,
        "zip": zip_code,
        "lat": where.lat,
        "lon": where.lon,
        "cancer_types": frozenset({"pleural"}),
    }
    values.update(fields)
    return Listing(**values)  # type: ignore[arg-type]


@st.composite
def listing_attrs(draw: st.DrawFn) -> dict[str, object]:
    """Random listing attributes other than its id."""
    return {
        "zip_code": draw(st.sampled_from(ZIPS)),
        "specialty": draw(st.sampled_from(SPECIALTIES)),
        "cancer_types": draw(st.frozensets(st.sampled_from(CANCER_TYPES))),
        "treatments": draw(st.frozensets(st.sampled_from(TREATMENTS))),
        "accepts_va": draw(st.booleans()),
        "accepting_new_patients": draw(st.booleans()),
        "telehealth": draw(st.booleans()),
        "languages": draw(st.frozensets(st.sampled_from(LANGUAGES), min_size=1)),
        "active": draw(st.booleans()),
        "recent_referrals": draw(st.integers(0, 14)),
    }


@st.composite
def listings(draw: st.DrawFn, max_size: int = 40) -> list[Listing]:
    """A list of listings with unique ids, in a random (not id) order."""
    attrs = draw(st.lists(listing_attrs(), max_size=max_size))
    ids = draw(st.permutations(range(len(attrs))))
    return [
        make_listing(f"L{i:03d}", str(a.pop("zip_code")), **a)
        for i, a in zip(ids, attrs, strict=True)
    ]


@st.composite
def queries(draw: st.DrawFn, max_limit: int = 12) -> MatchQuery:
    """A valid patient query at one of the test ZIPs."""
    max_miles = draw(
        st.none() | st.sampled_from([5.0, 25.0, 100.0, 500.0, 3000.0]) | st.floats(0.5, 6000.0)
    )
    return MatchQuery(
        zip=draw(st.sampled_from(ZIPS)),
        cancer_type=draw(st.sampled_from(CANCER_TYPE_CHOICES)),
        stage=draw(st.sampled_from(STAGE_CHOICES)),
        cell_type=draw(st.sampled_from(CELL_TYPE_CHOICES)),
        veteran=draw(st.booleans()),
        language=draw(st.sampled_from(LANGUAGES)),
        telehealth_ok=draw(st.booleans()),
        max_miles=max_miles,
        limit=draw(st.integers(1, max_limit)),
        need=draw(st.sampled_from(NEEDS)),
    )


@functools.cache
def _by_latitude() -> list[tuple[float, float, str]]:
    """Every known ZIP centroid as (lat, lon, zip), sorted by latitude (built once)."""
    return sorted((row[0], row[1], zip_code) for zip_code, row in geo._load_index().items())


@functools.cache
def near_zips(zip_code: str, miles: float = 30.0, most: int = 40) -> tuple[str, ...]:
    """Real ZIPs within ``miles`` of a ZIP, nearest first (the ZIP itself among them)."""
    origin = point(zip_code)
    rows = _by_latitude()
    span = miles / 69.0 + 0.01  # a degree of latitude is about 69 miles
    lo = bisect.bisect_left(rows, (origin.lat - span,))
    hi = bisect.bisect_right(rows, (origin.lat + span,))
    found = sorted(
        (geo.haversine_miles(origin.lat, origin.lon, lat, lon), z) for lat, lon, z in rows[lo:hi]
    )
    return tuple(z for d, z in found[:most] if d <= miles) or (zip_code,)


def often(draw: st.DrawFn) -> bool:
    """True three times in four.  Two fair coins: Hypothesis draws small integers and the
    ends of a range far more often than their share, booleans evenly."""
    return not (draw(st.booleans()) and draw(st.booleans()))


@st.composite
def listing_near(draw: st.DrawFn, query: MatchQuery) -> dict[str, object]:
    """Listing attributes steered to matter for ``query``: mostly within 30 miles of its ZIP,
    open to new patients and treating its cancer type; now and then anywhere, or filtered."""
    attrs = draw(listing_attrs())
    if often(draw):
        attrs["zip_code"] = draw(st.sampled_from(near_zips(query.zip)))
    if often(draw):
        attrs.update(active=True, accepting_new_patients=True)
    if query.cancer_type in CANCER_TYPES and often(draw):
        attrs["cancer_types"] = frozenset({query.cancer_type}) | attrs["cancer_types"]  # type: ignore[operator]
    return attrs


@st.composite
def cases(
    draw: st.DrawFn, max_limit: int = 12, max_size: int = 40, dense_size: int = 10
) -> tuple[MatchQuery, list[Listing]]:
    """A query and listings, three times in four dense around the query's ZIP (so ranking
    has something to rank; up to ``dense_size`` of them, which is plenty there and keeps
    each example cheap); otherwise the broad spread of ``listings()``."""
    query = draw(queries(max_limit=max_limit))
    if not often(draw):
        return query, draw(listings(max_size=max_size))
    reach = st.none() | st.sampled_from([25.0, 100.0, 500.0]) | st.floats(15.0, 6000.0)
    query = dataclasses.replace(query, max_miles=draw(reach))
    attrs = draw(st.lists(listing_near(query), min_size=4, max_size=dense_size))
    ids = draw(st.permutations(range(len(attrs))))
    return query, [
        make_listing(f"L{i:03d}", str(a.pop("zip_code")), **a)
        for i, a in zip(ids, attrs, strict=True)
    ]


class Reached:
    """How many of a property's examples got as far as its guarded assertion.

    An example that did not get there is discarded (``assume``), so Hypothesis
    draws another in its place and the property checks something in every one
    of its ``max_examples``.  The share of drawn examples that get there is
    printed, not asserted: it varies with the seed (Hypothesis's draws are not
    independent), and three floors on it failed whole suite runs at 37-72 %
    against rates measured at 48-89 %.
    """

    def __init__(self) -> None:
        self.examples = 0
        self.checked = 0

    def count(self, checked: bool) -> None:
        self.examples += 1
        self.checked += bool(checked)
        assume(checked)

    def assert_checked(self, wanted: int) -> None:
        """Fail when fewer than ``wanted`` examples checked anything: the property would prove
        little (Hypothesis gives up after ten draws per example asked for)."""
        print(f"reached the assertion in {self.checked} of {self.examples} examples drawn")  # noqa: T201
        assert self.checked >= wanted, f"only {self.checked} examples checked anything"
