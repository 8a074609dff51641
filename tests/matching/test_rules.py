"""Properties and examples for the pure ranking rules (PRODUCT.md section 3)."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.matching import geo, rules, tiers
from intake.matching.rules import (
    CANCER_TYPES,
    FAIR_SPREAD_POINTS,
    Listing,
    Match,
    MatchQuery,
    QueryError,
    format_display_name,
    rank,
    validate_query,
)

from ._strategies import (
    ZIPS,
    Reached,
    cases,
    fast,
    full_sort,
    listing_attrs,
    listing_near,
    listings,
    make_listing,
    near_zips,
    often,
    point,
    queries,
)

NYC = "10001"


def qualifies(query: MatchQuery, item: Listing) -> bool:
    """An independent reading of the section 3 hard filters."""
    if not (item.active and item.accepting_new_patients):
        return False
    if query.cancer_type != "not_sure" and query.cancer_type not in item.cancer_types:
        return False
    origin, there = point(query.zip), point(item.zip)
    if query.max_miles is not None and geo.distance_miles(origin, there) > query.max_miles:
        return item.telehealth and query.telehealth_ok
    return True


def sort_key(match: Match) -> tuple[float, float, str]:
    return (-match.score, match.distance_miles, match.listing.listing_id)


# --- properties -------------------------------------------------------------------------


@fast(150)
@given(cases())
def test_results_obey_hard_filters_and_miss_nobody(case):
    query, items = case
    results = rank(query, items)
    assert all(qualifies(query, m.listing) for m in results)
    assert len(results) == min(query.limit, sum(qualifies(query, x) for x in items))
    origin = point(query.zip)
    for m in results:
        assert m.distance_miles == geo.distance_miles(origin, point(m.listing.zip))


@fast(150)
@given(cases())
def test_sorted_by_score_then_distance_then_listing_id(case):
    query, items = case
    keys = [sort_key(m) for m in rank(query, items)]
    assert keys == sorted(keys)
    assert len({k[2] for k in keys}) == len(keys)


@fast(120)
@given(queries(max_limit=50), listings(), st.integers(1, 50))
def test_limit_is_respected_and_cuts_the_full_ranking(query, items, limit):
    everything = rank(dataclasses.replace(query, limit=50), items)
    cut = rank(dataclasses.replace(query, limit=limit), items)
    assert len(cut) <= limit
    assert cut == everything[:limit]


@fast(150)
@given(queries(max_limit=5), listings(max_size=120))
def test_pruning_and_skipping_change_nothing(query, items):
    assert rank(query, items) == full_sort(query, items)


@fast(100)
@given(queries(), listings(), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_input_order(query, items, rnd):
    first = rank(query, items)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert rank(query, items) == first
    assert rank(query, shuffled) == first
    assert rank(query, iter(shuffled)) == first


def test_moving_a_listing_nearer_never_lowers_its_rank():
    reached = Reached()

    @fast(150)
    @given(cases(max_limit=50, max_size=25), st.data())
    def check(case, data):
        query, others = case
        # the mover is open and treats the type, and the list is long enough to hold it:
        # what is checked is its place, so it must be in the ranking more often than not
        attrs = data.draw(listing_near(query))
        attrs.update(active=True, accepting_new_patients=True)
        if query.cancer_type in CANCER_TYPES:
            attrs["cancer_types"] = frozenset({query.cancer_type}) | attrs["cancer_types"]
        query = dataclasses.replace(query, limit=max(query.limit, min(len(others) + 1, 50)))
        # mostly a second ZIP near the query's: a far one is often out of reach, and a mover
        # ranked nowhere before its move checks nothing
        other_zip = data.draw(st.sampled_from(near_zips(query.zip) if often(data.draw) else ZIPS))
        origin = point(query.zip)
        by_distance = sorted(
            [attrs.pop("zip_code"), other_zip],
            key=lambda z: geo.distance_miles(origin, point(z)),
        )
        near_zip, far_zip = by_distance
        before = make_listing("MOVER", far_zip, **attrs)
        after = make_listing("MOVER", near_zip, **attrs)
        ranked_before = [m.listing.listing_id for m in rank(query, [*others, before])]
        ranked_after = [m.listing.listing_id for m in rank(query, [*others, after])]
        if "MOVER" in ranked_before:
            assert "MOVER" in ranked_after
            assert ranked_after.index("MOVER") <= ranked_before.index("MOVER")
        reached.count("MOVER" in ranked_before)

    check()
    reached.assert_checked(135)  # of the 150 asked for


@fast(300)
@given(queries(), st.sampled_from(ZIPS), listing_attrs(), st.floats(0, 6000))
def test_score_never_rises_with_distance(query, zip_code, attrs, extra):
    """The per-listing score is non-increasing in miles, telehealth softening included."""
    attrs.pop("zip_code")
    item = make_listing("X", zip_code, **attrs)
    plan = rules.plan_query(query)
    miles = [round(m, 1) for m in sorted([0.0, extra, extra / 3, extra * 0.999, extra + 0.1])]
    scores = [plan.score(item, m) for m in miles]
    real = [s for s in scores if s is not None]
    assert real == sorted(real, reverse=True)
    # once disqualified by distance, farther positions stay disqualified
    assert scores == [s for s in scores if s is not None] + [None] * scores.count(None)


@fast(150)
@given(cases())
def test_named_lifts_account_for_the_whole_score(case):
    """The tier base, the distance and each named lift are exactly the score, nothing more."""
    query, items = case
    plan = rules.plan_query(query, teams=tiers.teams_of(items))  # as rank() plans a query
    points = {
        "cell_type": rules.CELL_TYPE_POINTS,
        "va": rules.VA_POINTS,
        "language": rules.LANGUAGE_POINTS,
    }
    for m in rank(query, items):
        tele = plan.telehealth_ok and m.listing.telehealth
        if m.within_reach:
            total = rules.TIER_BASE[m.tier] + plan.distance_part(m.distance_miles, tele)
        else:
            total = rules.BEYOND_TIER_POINTS[m.tier] + rules.BEYOND_DISTANCE_WEIGHT * (
                rules.distance_points(m.distance_miles)
            )
        for lift in m.lifts:
            if lift in points:
                total += points[lift]
        if "fair_spread" in m.lifts:
            total += FAIR_SPREAD_POINTS * (1 - m.listing.recent_referrals / 10)
        assert m.score == round(total, 2)
        assert m.tier == plan.tier(m.listing)
        patient_lifts = [lift for lift in m.lifts if lift != "fair_spread"]
        team = 1 if query.need == "second_opinion" and m.tier == 1 else 0  # the team's reason
        assert len(m.reasons) == 2 + team + len(patient_lifts)
        assert m.reasons[-1].endswith(f"miles from {query.zip}")


@fast(100)
@given(st.sampled_from(ZIPS), st.sampled_from(ZIPS))
def test_plan_distance_is_exactly_geo_distance(a, b):
    pa, pb = point(a), point(b)
    plan = rules.plan_query(MatchQuery(zip=a, cancer_type="pleural"))
    phi = math.radians(pb.lat)
    assert plan.miles(phi, math.cos(phi), pb.lon) == geo.distance_miles(pa, pb)


# --- examples ---------------------------------------------------------------------------


def test_spec_example_reasons_for_peritoneal_patient():
    item = make_listing(
        "SPC-0042",
        "06901",
        specialty="surgical_oncology",
        cancer_types=frozenset({"peritoneal"}),
        treatments=frozenset({"crs_hipec"}),
        recent_referrals=50,
    )
    (match,) = rank(MatchQuery(zip=NYC, cancer_type="peritoneal"), [item])
    assert match.tier == 1
    assert match.reasons == (
        "performs cytoreductive surgery with HIPEC, the main surgery for peritoneal mesothelioma",
        "31.9 miles from 10001",
    )
    assert match.lifts == () and match.distance_miles == 31.9


def test_not_sure_admits_every_cancer_type():
    items = [
        make_listing(f"T{i}", NYC, cancer_types=frozenset({t})) for i, t in enumerate(CANCER_TYPES)
    ]
    results = rank(MatchQuery(zip=NYC, cancer_type="not_sure"), items)
    assert {m.listing.listing_id for m in results} == {"T0", "T1", "T2", "T3"}
    assert results[0].reasons[0] == "treats pleural mesothelioma"
    assert {m.tier for m in results} == {2}  # medical oncologists with no surgery: stage unknown
    only_pleural = rank(MatchQuery(zip=NYC, cancer_type="pleural"), items)
    assert [m.listing.listing_id for m in only_pleural] == ["T0"]


def test_not_sure_lists_every_type_the_listing_treats():
    item = make_listing("A", NYC, cancer_types=frozenset({"peritoneal", "pleural"}))
    (match,) = rank(MatchQuery(zip=NYC, cancer_type="not_sure"), [item])
    assert match.reasons[0] == "treats pleural and peritoneal mesothelioma"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zip": "00000"}, "zip"),
        ({"zip": "1234a"}, "zip"),
        ({"zip": ""}, "zip"),
        ({"zip": "123456"}, "zip"),
        ({"cancer_type": "lung"}, "cancer_type"),
        ({"cancer_type": ""}, "cancer_type"),
        ({"stage": "5"}, "stage"),
        ({"stage": "IV"}, "stage"),
        ({"cell_type": "small_cell"}, "cell_type"),
        ({"language": "EN"}, "language"),
        ({"language": "eng"}, "language"),
        ({"language": "e"}, "language"),
        ({"language": "en\n"}, "language"),
        ({"max_miles": 0}, "max_miles"),
        ({"max_miles": -5.0}, "max_miles"),
        ({"max_miles": float("nan")}, "max_miles"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": -1}, "limit"),
    ],
)
def test_query_errors_name_the_field(change, field):
    query = dataclasses.replace(MatchQuery(zip=NYC, cancer_type="pleural"), **change)
    with pytest.raises(QueryError) as caught:
        rank(query, [])
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) and "Traceback" not in str(caught.value)
    with pytest.raises(QueryError):
        validate_query(query)


def test_query_errors_lists_every_bad_field_at_once():
    query = MatchQuery(zip="1234a", cancer_type="lung", stage="9", limit=0)
    assert set(rules.query_errors(query)) == {"zip", "cancer_type", "stage", "limit"}


@pytest.mark.parametrize("raw", ["00000", "1234a"])
def test_unknown_or_malformed_zip_is_a_zip_error(raw):
    with pytest.raises(QueryError) as caught:
        validate_query(MatchQuery(zip=raw, cancer_type="pleural"))
    assert caught.value.field == "zip"


def test_zip_plus_four_and_spaces_are_accepted():
    assert validate_query(MatchQuery(zip=" 10001-1234 ", cancer_type="pleural")).zip == NYC


def test_boundary_values_are_valid():
    for query in (
        MatchQuery(zip=NYC, cancer_type="testicular", limit=1, max_miles=0.1),
        MatchQuery(zip=NYC, cancer_type="not_sure", stage="not_sure", limit=50, max_miles=5000),
    ):
        assert validate_query(query).zip == NYC


def test_distance_new_york_to_beverly_hills():
    miles = geo.distance_miles(point("10001"), point("90210"))
    assert miles == pytest.approx(2453, abs=2)
    item = make_listing("LA", "90210")
    (match,) = rank(MatchQuery(zip=NYC, cancer_type="pleural"), [item])
    assert match.distance_miles == miles


def test_nearer_ranks_higher_among_otherwise_equal():
    items = [make_listing("FAR", "19104"), make_listing("NEAR", "10601")]
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural"), items)
    assert [m.listing.listing_id for m in results] == ["NEAR", "FAR"]


def test_ties_break_by_listing_id():
    items = [make_listing(i, "10601") for i in ("B", "C", "A")]
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural"), items)
    assert [m.listing.listing_id for m in results] == ["A", "B", "C"]


def test_inactive_full_and_wrong_type_are_filtered():
    items = [
        make_listing("OK", NYC),
        make_listing("INACTIVE", NYC, active=False),
        make_listing("FULL", NYC, accepting_new_patients=False),
        make_listing("OTHER", NYC, cancer_types=frozenset({"peritoneal"})),
    ]
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural"), items)
    assert [m.listing.listing_id for m in results] == ["OK"]


def test_every_lift_is_named_with_a_plain_reason():
    item = make_listing(
        "ALL",
        "90210",
        specialty="thoracic_surgery",
        treatments=frozenset({"surgery_pd", "chemotherapy", "immunotherapy"}),
        accepts_va=True,
        telehealth=True,
        languages=frozenset({"en", "es"}),
    )
    query = MatchQuery(
        zip=NYC,
        cancer_type="pleural",
        stage="2",
        cell_type="sarcomatoid",
        veteran=True,
        language="es",
        telehealth_ok=True,
        max_miles=100,
    )
    (match,) = rank(query, [item])
    assert match.tier == 1 and match.within_reach  # by video
    assert match.lifts == ("cell_type", "telehealth", "va", "language", "fair_spread")
    assert match.reasons == (
        "performs pleurectomy/decortication (P/D), the operations used for pleural mesothelioma",
        "offers immunotherapy, usually the first treatment for sarcomatoid mesothelioma",
        "sees patients by video",
        "accepts VA benefits",
        "speaks Spanish",
        "2453.3 miles from 10001",
    )
    assert "fair" not in " ".join(match.reasons) and "fair spread" in match.staff_note


def test_late_stage_fit_names_systemic_options_kindly():
    item = make_listing("L", NYC, treatments=frozenset({"palliative_care", "immunotherapy"}))
    (match,) = rank(MatchQuery(zip=NYC, cancer_type="pleural", stage="4"), [item])
    assert match.tier == 1
    assert match.reasons[0] == "offers immunotherapy, one of the usual options at stage 4"


def test_early_stage_fit_needs_surgery_for_that_type():
    epp = make_listing(
        "EPP", NYC, specialty="thoracic_surgery", treatments=frozenset({"surgery_epp"})
    )
    hipec = make_listing("HIPEC", NYC, specialty="surgical_oncology",
                         treatments=frozenset({"crs_hipec"}))  # fmt: skip
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural", stage="1"), [epp, hipec])
    tiers = {m.listing.listing_id: m.tier for m in results}
    assert tiers == {"EPP": 1, "HIPEC": 2}


def test_english_and_unknown_stage_give_no_lift():
    item = make_listing("E", NYC, treatments=frozenset({"surgery_epp"}), recent_referrals=99)
    (match,) = rank(MatchQuery(zip=NYC, cancer_type="pleural"), [item])
    assert match.lifts == ()


def test_max_miles_admits_far_listings_only_by_telehealth():
    video = make_listing("VIDEO", "90210", telehealth=True)
    office = make_listing("OFFICE", "90210", telehealth=False)
    near = make_listing("NEAR", "10601")
    base = MatchQuery(zip=NYC, cancer_type="pleural", max_miles=100)
    assert [m.listing.listing_id for m in rank(base, [video, office, near])] == ["NEAR"]
    ok = dataclasses.replace(base, telehealth_ok=True)
    ids = [m.listing.listing_id for m in rank(ok, [video, office, near])]
    assert ids == ["NEAR", "VIDEO"]


def test_telehealth_never_lifts_a_far_listing_above_its_near_self():
    query = MatchQuery(zip=NYC, cancer_type="pleural", telehealth_ok=True, max_miles=50)
    plan = rules.plan_query(query)
    item = make_listing("V", NYC, telehealth=True)
    scores = [plan.score(item, m / 10) for m in range(0, 60000, 7)]
    real = [s for s in scores if s is not None]
    assert len(real) == len(scores)
    assert real == sorted(real, reverse=True)


def test_fair_spread_never_beats_a_ten_mile_gap_within_a_hundred_miles():
    plan = rules.plan_query(MatchQuery(zip=NYC, cancer_type="pleural"))
    for tenth in range(0, 1000):
        miles = tenth / 10
        gap = plan.distance_part(miles, False) - plan.distance_part(miles + 10, False)
        assert gap > FAIR_SPREAD_POINTS
    busy = make_listing("BUSY", "10601", recent_referrals=100)  # 23.1 miles
    idle = make_listing("IDLE", "08901", recent_referrals=0)  # 29.7 miles
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural"), [idle, busy])
    ids = [m.listing.listing_id for m in results]
    assert ids == ["BUSY", "IDLE"]


def test_fair_spread_prefers_fewer_recent_referrals_at_equal_distance():
    busy = make_listing("A-BUSY", "10601", recent_referrals=9)
    idle = make_listing("B-IDLE", "10601", recent_referrals=1)
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural"), [busy, idle])
    assert [m.listing.listing_id for m in results] == ["B-IDLE", "A-BUSY"]
    assert "fair_spread" in results[0].lifts


def test_origin_argument_skips_the_zip_lookup():
    origin = point(NYC)
    query = MatchQuery(zip="not-a-zip", cancer_type="pleural")
    (match,) = rank(query, [make_listing("A", "10601")], origin=origin)
    assert match.distance_miles == 23.1
    with pytest.raises(QueryError):
        rank(dataclasses.replace(query, stage="9"), [], origin=origin)


def test_no_qualified_listing_is_an_empty_list_not_an_error():
    assert rank(MatchQuery(zip=NYC, cancer_type="testicular"), [make_listing("A", NYC)]) == []


def test_display_name_and_labels():
    assert format_display_name("Daniel", "Strand", "MD") == "Dr. Daniel Strand, MD"
    assert format_display_name("Ana", "Ruiz", "MD, PhD") == "Dr. Ana Ruiz, MD, PhD"
    assert format_display_name("Lee", "Park", "NP") == "Lee Park, NP"
    assert format_display_name("Lee", "Park") == "Lee Park"
    assert make_listing("A", NYC).display_name == "Dr. Test A, MD"
    assert rules.TREATMENT_LABELS["crs_hipec"] == "cytoreductive surgery with HIPEC"
    assert rules.TREATMENT_LABELS["surgery_epp"] == "extrapleural pneumonectomy (EPP)"
    assert rules.TREATMENT_LABELS["surgery_pd"] == "pleurectomy/decortication (P/D)"
    assert rules.CANCER_TYPE_LABELS["pleural"] == "pleural mesothelioma"
    for values, labels in (
        (rules.CANCER_TYPE_CHOICES, rules.CANCER_TYPE_LABELS),
        (rules.STAGE_CHOICES, rules.STAGE_LABELS),
        (rules.CELL_TYPE_CHOICES, rules.CELL_TYPE_LABELS),
        (rules.SPECIALTIES, rules.SPECIALTY_LABELS),
        (rules.TREATMENTS, rules.TREATMENT_LABELS),
    ):
        assert set(values) == set(labels)


def test_value_types_are_frozen():
    item = make_listing("A", NYC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "x"  # type: ignore[misc]
    assert not hasattr(item, "__dict__")


def test_reasons_do_not_depend_on_set_order():
    treatments = ["chemotherapy", "radiation", "immunotherapy", "clinical_trials"]
    texts = set()
    for seed in range(5):
        random.Random(seed).shuffle(treatments)
        item = make_listing("A", NYC, treatments=frozenset(treatments))
        (match,) = rank(MatchQuery(zip=NYC, cancer_type="pleural", stage="3"), [item])
        texts.add(match.reasons)
    assert len(texts) == 1
    assert texts.pop()[0] == "offers chemotherapy and immunotherapy, the usual options at stage 3"
