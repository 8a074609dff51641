"""ZIP look-up, distances and the bounding box the index relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.matching import geo

from ._strategies import ZIPS, fast, point


def test_known_and_unknown_zips():
    assert point("10001").state == "NY"
    assert geo.lookup("00000") is None
    assert geo.lookup("1234a") is None
    assert geo.normalize_zip(" 10001-1234 ") == "10001"
    assert geo.normalize_zip("1234") == ""


def test_new_york_to_beverly_hills_is_about_2453_miles():
    assert geo.distance_miles(point("10001"), point("90210")) == pytest.approx(2453, abs=2)


def test_all_zips_is_sorted_and_complete_enough():
    zips = geo.all_zips()
    assert zips == sorted(zips) and len(zips) > 40_000
    assert set(ZIPS) <= set(zips)
    assert all(geo.is_well_formed(z) for z in zips[:100])


@fast(300)
@given(
    st.sampled_from(ZIPS),
    st.floats(-40.0, 40.0),
    st.floats(-70.0, 70.0),
    st.floats(0.0, 3000.0),
)
def test_bounding_box_holds_every_point_within_the_radius(zip_code, dlat, dlon, miles):
    origin = point(zip_code)
    lat = max(-89.9, min(89.9, origin.lat + dlat))
    lon = (origin.lon + dlon + 180.0) % 360.0 - 180.0
    box = geo.bounding_box(origin.lat, origin.lon, miles)
    if box is None:
        return
    lat_min, lat_max, lon_min, lon_max = box
    if geo.haversine_miles(origin.lat, origin.lon, lat, lon) <= miles:
        assert lat_min <= lat <= lat_max
        assert lon_min <= lon <= lon_max


@fast(200)
@given(st.sampled_from(ZIPS), st.sampled_from(ZIPS), st.floats(1.0, 3000.0))
def test_bounding_box_holds_every_zip_within_the_radius(a, b, miles):
    pa, pb = point(a), point(b)
    box = geo.bounding_box(pa.lat, pa.lon, miles)
    if box is not None and geo.haversine_miles(pa.lat, pa.lon, pb.lat, pb.lon) <= miles:
        assert box[0] <= pb.lat <= box[1] and box[2] <= pb.lon <= box[3]


def test_bounding_box_gives_up_at_poles_and_the_antimeridian():
    assert geo.bounding_box(89.5, 0.0, 100.0) is None
    adak = point("99546")  # Aleutians, near 180 degrees west
    assert geo.bounding_box(adak.lat, adak.lon, 300.0) is None
    nyc = point("10001")
    box = geo.bounding_box(nyc.lat, nyc.lon, 50.0)
    assert box is not None
    assert box[0] < nyc.lat < box[1] and box[2] < nyc.lon < box[3]
