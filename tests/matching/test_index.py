"""ListingIndex must return exactly what a full scan with rules.rank returns."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.matching import geo
from intake.matching.index import ListingIndex
from intake.matching.rules import MatchQuery, QueryError, rank
from intake.matching.types import (
    CANCER_TYPES,
    CELL_TYPE_CHOICES,
    NEEDS,
    SPECIALTIES,
    STAGE_CHOICES,
    TREATMENTS,
)

from ._strategies import ZIPS, fast, full_sort, listings, make_listing, queries

CELL_SIZES = st.sampled_from([None, 0.02, 0.1, 0.5, 3.0, 20.0])


@fast(200)
@given(queries(max_limit=15), listings(max_size=80), CELL_SIZES)
def test_index_equals_full_scan(query, items, cell):
    index = ListingIndex(items, cell_degrees=cell, full_scan_below=0)
    assert index.rank(query) == rank(query, items)


@fast(100)
@given(queries(max_limit=15), listings(max_size=80))
def test_index_with_default_tuning_equals_full_scan(query, items):
    assert ListingIndex(items).rank(query) == rank(query, items)


INSTITUTIONS = st.sampled_from(["Test Cancer Center", "North Clinic", "south clinic ", ""])


@st.composite
def _lifted_cases(draw: st.DrawFn) -> tuple[MatchQuery, list]:
    """Sarcomatoid or biphasic, or a second opinion; listings at a few institutions (teams)."""
    query = draw(queries(max_limit=15))
    cell_type = draw(st.sampled_from(["sarcomatoid", "biphasic", query.cell_type]))
    need = draw(st.sampled_from(["second_opinion", query.need]))
    if cell_type not in ("sarcomatoid", "biphasic"):
        need = "second_opinion"
    items = [
        dataclasses.replace(item, institution=draw(INSTITUTIONS))
        for item in draw(listings(max_size=80))
    ]
    return dataclasses.replace(query, cell_type=cell_type, need=need), items


@fast(200)
@given(_lifted_cases(), CELL_SIZES)
def test_index_with_the_cell_type_lift_or_a_second_opinion_equals_full_scan(case, cell):
    # the index searches those listings in groups (lift, team), each with its own bound
    query, items = case
    index = ListingIndex(items, cell_degrees=cell, full_scan_below=0)
    assert index.rank(query) == rank(query, items) == full_sort(query, items)


def _random_listing(rnd: random.Random, number: int, zip_code: str):
    return make_listing(
        f"R{number:05d}",
        zip_code,
        cancer_types=frozenset(t for t in CANCER_TYPES if rnd.random() < 0.5) or {"pleural"},
        treatments=frozenset(t for t in TREATMENTS if rnd.random() < 0.35),
        accepts_va=rnd.random() < 0.3,
        accepting_new_patients=rnd.random() < 0.9,
        telehealth=rnd.random() < 0.4,
        languages=frozenset({"en", "es"} if rnd.random() < 0.2 else {"en"}),
        active=rnd.random() < 0.95,
        recent_referrals=rnd.randint(0, 15),
        specialty=rnd.choice(SPECIALTIES),
        institution=f"Center {rnd.randrange(1500)}",  # a few listings each: some teams
    )


def test_index_equals_full_scan_on_a_country_sized_data_set():
    rnd = random.Random(7)
    every_zip = geo.all_zips()
    items = [_random_listing(rnd, i, rnd.choice(every_zip)) for i in range(4000)]
    index = ListingIndex(items)
    for _ in range(80):
        query = MatchQuery(
            zip=rnd.choice(every_zip),
            cancer_type=rnd.choice([*CANCER_TYPES, "not_sure"]),
            stage=rnd.choice(STAGE_CHOICES),
            cell_type=rnd.choice(CELL_TYPE_CHOICES),
            veteran=rnd.random() < 0.3,
            language=rnd.choice(["en", "es"]),
            telehealth_ok=rnd.random() < 0.5,
            max_miles=rnd.choice([None, 10.0, 50.0, 250.0, 1000.0]),
            limit=rnd.choice([1, 5, 10, 50]),
            need=rnd.choice(NEEDS),
        )
        expected = full_sort(query, items)
        assert rank(query, items) == expected, query
        assert index.rank(query) == expected, query


def test_index_counts_only_matchable_listings_and_validates():
    items = [make_listing("A", "10001"), make_listing("B", "10001", active=False)]
    index = ListingIndex(items)
    assert len(index) == 1
    with pytest.raises(QueryError) as caught:
        index.rank(MatchQuery(zip="00000", cancer_type="pleural"))
    assert caught.value.field == "zip"
    origin = geo.lookup("90210")
    query = MatchQuery(zip="10001", cancer_type="pleural")
    assert index.rank(query, origin) == rank(query, items, origin)
    assert index.rank(dataclasses.replace(query, cancer_type="testicular")) == []


def test_index_handles_the_antimeridian_and_far_territories():
    far = ["99546", "96507", "96910", "96813", "99501"]
    items = [make_listing(f"F{i}", z) for i, z in enumerate(far)]
    index = ListingIndex(items, full_scan_below=0, cell_degrees=0.5)
    for zip_code in ZIPS:
        for max_miles in (None, 300.0):
            query = MatchQuery(zip=zip_code, cancer_type="pleural", max_miles=max_miles)
            assert index.rank(query) == rank(query, items)
