"""Every reason is a fact about its listing; tiers and sections are what section 3 says.

Generated directories are dense around the patient's ZIP (most listings within
a few hundred miles, some far), with a few institutions so that teams form, so
nearly every example ranks something: each example records an event
("ranked something" or "ranked nothing"); run with
``--hypothesis-show-statistics`` to see the share.  On the last run before this
was committed, about 90% of examples ranked something (the rest asked for a
diagnosis type no generated listing treats, or limited the distance).
"""

from __future__ import annotations

import dataclasses
from functools import cache

from hypothesis import event, given
from hypothesis import strategies as st

from intake.matching import geo
from intake.matching.rules import rank
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CANCER_TYPES,
    CELL_TYPE_CHOICES,
    NEEDS,
    SPECIALTIES,
    STAGE_CHOICES,
    TREATMENTS,
    Listing,
    MatchQuery,
)

from ._strategies import LANGUAGES, fast, make_listing, point
from ._truth import expected_section, expected_tier, false_claims, reach, teams

# Cities and rural places (Missoula, Cheyenne, Fairbanks, Rapid City among them).
ANCHORS = ("10001", "94103", "60601", "77030", "59801", "82001", "99701", "57701", "33101")
INSTITUTIONS = ("Test Cancer Center", "Valley Mesothelioma Program", "Solo Clinic", "")


@cache
def _zips_near(anchor: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Real ZIPs within 150 miles of the anchor, and between 150 and 900 miles (a sample)."""
    origin = point(anchor)
    near, far = [], []
    for code in geo.all_zips()[::7]:
        there = geo.lookup(code)
        if there is None:
            continue
        miles = geo.distance_miles(origin, there)
        if miles <= 150:
            near.append(code)
        elif miles <= 900:
            far.append(code)
    return tuple(near[::3][:60]) or (anchor,), tuple(far[::11][:60])


@st.composite
def dense_case(draw: st.DrawFn) -> tuple[MatchQuery, list[Listing]]:
    """A patient at an anchor ZIP and up to 40 listings, mostly near them."""
    anchor = draw(st.sampled_from(ANCHORS))
    near, far = _zips_near(anchor)
    where = st.one_of(
        st.sampled_from(near), st.sampled_from(near), st.sampled_from(near), st.sampled_from(far)
    )
    count = draw(st.integers(1, 40))
    items = [
        make_listing(
            f"L{i:03d}",
            draw(where),
            specialty=draw(st.sampled_from(SPECIALTIES)),
            institution=draw(st.sampled_from(INSTITUTIONS)),
            cancer_types=draw(st.frozensets(st.sampled_from(CANCER_TYPES), min_size=1)),
            treatments=draw(st.frozensets(st.sampled_from(TREATMENTS))),
            accepts_va=draw(st.booleans()),
            telehealth=draw(st.booleans()),
            languages=draw(st.frozensets(st.sampled_from(LANGUAGES), min_size=1)),
            active=draw(st.integers(0, 9)) > 0,
            accepting_new_patients=draw(st.integers(0, 9)) > 0,
            recent_referrals=draw(st.integers(0, 14)),
        )
        for i in range(count)
    ]
    query = MatchQuery(
        zip=anchor,
        cancer_type=draw(st.sampled_from(CANCER_TYPE_CHOICES)),
        stage=draw(st.sampled_from(STAGE_CHOICES)),
        cell_type=draw(st.sampled_from(CELL_TYPE_CHOICES)),
        veteran=draw(st.booleans()),
        language=draw(st.sampled_from(LANGUAGES)),
        telehealth_ok=draw(st.booleans()),
        max_miles=draw(st.none() | st.sampled_from([25.0, 100.0, 250.0, 500.0])),
        limit=50,
        need=draw(st.sampled_from(NEEDS)),
    )
    return query, items


@fast(200)
@given(dense_case())
def test_every_reason_tier_and_section_is_true_of_its_listing(case):
    query, items = case
    team_set = teams(items)
    results = rank(query, items)
    event("ranked something" if results else "ranked nothing")
    for m in results:
        assert false_claims(m, query, team_set) == [], m
        assert m.tier == expected_tier(m.listing, query, team_set), m
        assert m.section == expected_section(m, query), m
        assert m.section != "support" or m.distance_miles <= reach(query)
        assert m.section in ("best", "support") or not any("close to home" in r for r in m.reasons)
        assert m.within_reach == (m.section != "farther")


@fast(200)
@given(dense_case())
def test_within_reach_lower_tiers_first_and_above_beyond_reach_of_same_or_higher_tier(case):
    query, items = case
    results = rank(query, items)
    within = [m.tier for m in results if m.within_reach]
    assert within == sorted(within)
    for i, near in enumerate(results):
        if near.within_reach:
            assert all(far.within_reach or far.tier < near.tier for far in results[:i])


@fast(200)
@given(dense_case())
def test_second_opinion_differs_from_treatment_wherever_a_fitting_team_doctor_is_in_reach(case):
    query, items = case
    second = rank(dataclasses.replace(query, need="second_opinion"), items)
    treatment = rank(dataclasses.replace(query, need="treatment"), items)
    team_first = [m for m in second if m.tier == 1 and m.within_reach]
    event("team within reach" if team_first else "no team within reach")
    if team_first:
        assert second[0].tier == 1 and "part of a team" in second[0].reasons[1]
        assert [(m.listing.listing_id, m.reasons) for m in second] != [
            (m.listing.listing_id, m.reasons) for m in treatment
        ]
