"""ListingIndex.nearest: the nearest listing of a kind, the same as scanning every listing."""

from __future__ import annotations

import pytest

from intake.matching import geo
from intake.matching.index import ListingIndex
from intake.matching.types import SUPPORTIVE_SPECIALTIES, MatchQuery
from tests.matching._demo import demo_listings


def _scan(query: MatchQuery, specialties: frozenset[str]) -> tuple[str, float] | None:
    origin = geo.lookup(query.zip)
    assert origin is not None
    found = sorted(
        (round(geo.haversine_miles(origin.lat, origin.lon, x.lat, x.lon), 1), x.listing_id, x.name)
        for x in demo_listings()
        if x.active and x.accepting_new_patients and x.specialty in specialties
        and query.cancer_type in x.cancer_types
    )  # fmt: skip
    return (found[0][2], found[0][0]) if found else None


@pytest.mark.parametrize("zip_code", ["59801", "94103", "10001", "99701", "96813", "60601"])
@pytest.mark.parametrize("cells", [None, 0.2])
def test_nearest_supportive_care_is_what_a_full_scan_finds(zip_code, cells):
    index = ListingIndex(demo_listings(), cell_degrees=cells, full_scan_below=0)
    query = MatchQuery(zip_code, "pleural")
    found = index.nearest(query, lambda item, tier: item.specialty in SUPPORTIVE_SPECIALTIES)
    expected = _scan(query, SUPPORTIVE_SPECIALTIES)
    assert (found[0].name, found[1]) == expected if found else expected is None


def test_nearest_gets_each_listings_tier_for_the_query():
    index = ListingIndex(demo_listings())
    query = MatchQuery("94103", "pleural", stage="4", need="palliative")
    listing, miles = index.nearest(query, lambda item, tier: tier == 1)
    assert listing.specialty in SUPPORTIVE_SPECIALTIES and miles == 353.6
