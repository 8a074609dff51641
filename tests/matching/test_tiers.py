"""Tiers by stage, specialty and need (PRODUCT.md section 3): properties and the cases that
read like the issue that asked for them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake.matching.rules import MatchQuery, rank
from intake.matching.types import SUPPORTIVE_SPECIALTIES

from ._strategies import Reached, cases, fast, listing_near, make_listing

NYC = "10001"


# Each property runs on cases() (listings mostly dense around the query's ZIP); an example
# that does not reach its guarded assertion is drawn again (Reached), so each checks its
# assertion in (nearly) all of its 200 examples, and fails when it cannot.


def test_within_reach_a_lower_tier_always_comes_first():
    reached = Reached()

    @fast(200)
    @given(cases(max_limit=40))
    def check(case):
        query, items = case
        results = rank(query, items)
        within = [m.tier for m in results if m.within_reach]
        assert within == sorted(within)
        reached.count(len(within) >= 2)

    check()
    reached.assert_checked(180)  # of the 200 asked for


def test_within_reach_ranks_above_every_beyond_reach_listing_of_the_same_or_a_higher_tier():
    reached = Reached()

    @fast(200)
    @given(cases(max_limit=40))
    def check(case):
        query, items = case
        results = rank(query, items)
        compared = False
        for i, near in enumerate(results):
            if not near.within_reach:
                continue
            for far in results[:i]:
                assert far.within_reach or far.tier < near.tier
                compared = True
        reached.count(compared)

    check()
    reached.assert_checked(180)  # of the 200 asked for


def test_with_a_tier_one_listing_within_reach_the_first_result_is_tier_one():
    reached = Reached()

    @fast(200)
    @given(cases(max_limit=40))
    def check(case):
        query, items = case
        everything = rank(query.__class__(**{**_fields(query), "limit": 50}), items)
        tier_one_within = any(m.tier == 1 and m.within_reach for m in everything)
        if tier_one_within:
            assert rank(query, items)[0].tier == 1
        reached.count(tier_one_within)

    check()
    # a tier-one fit needs the stage's treatments too: about half the examples have one
    reached.assert_checked(180)  # of the 200 asked for


def _fields(query: MatchQuery) -> dict:
    return {name: getattr(query, name) for name in query.__slots__}


def test_need_palliative_puts_supportive_care_first():
    reached = Reached()

    @fast(200)
    @given(cases(max_limit=40), st.data())
    def check(case, data):
        query, items = case
        # one more listing of a supportive specialty near the query's ZIP, as a rule
        extra = data.draw(listing_near(query))
        extra.update(specialty=data.draw(st.sampled_from(sorted(SUPPORTIVE_SPECIALTIES))))
        items = [*items, make_listing("SUPPORT", str(extra.pop("zip_code")), **extra)]
        query = MatchQuery(**{**_fields(query), "need": "palliative", "limit": 50})
        results = rank(query, items)
        supportive_within = [
            m for m in results if m.within_reach and m.listing.specialty in SUPPORTIVE_SPECIALTIES
        ]
        if supportive_within:
            assert results[0].listing.specialty in ("palliative_care", "pulmonology")
        reached.count(bool(supportive_within))

    check()
    reached.assert_checked(180)  # of the 200 asked for


def test_no_reason_a_patient_sees_mentions_fair_spread():
    reached = Reached()

    @fast(200)
    @given(cases(max_limit=40))
    def check(case):
        query, items = case
        results = rank(query, items)
        for match in results:
            text = " ".join(match.reasons).lower()
            assert "fair" not in text and "referral" not in text and "spread" not in text
        reached.count(bool(results))

    check()
    reached.assert_checked(180)  # of the 200 asked for


# --- the cases of the issue -------------------------------------------------------------


def _listing(listing_id: str, zip_code: str, specialty: str, *treatments: str, **kw):
    types = kw.pop("types", frozenset({"pleural", "peritoneal"}))
    return make_listing(listing_id, zip_code, specialty=specialty,
                        treatments=frozenset(treatments), cancer_types=types, **kw)  # fmt: skip


NEW_YORK_AREA = [
    _listing("PALL", "10011", "palliative_care", "palliative_care"),  # 2 miles
    _listing("RAD", "10016", "radiation_oncology", "radiation"),
    _listing(
        "ONC", "10065", "medical_oncology", "chemotherapy", "immunotherapy", "clinical_trials"
    ),  # fmt: skip
    _listing("HIPEC", "08901", "surgical_oncology", "crs_hipec", "chemotherapy"),  # 35 miles
    _listing("PD", "06510", "thoracic_surgery", "surgery_pd", "surgery_epp", accepts_va=True),
    _listing("LUNG", "10025", "pulmonology", "palliative_care"),
]


def test_a_peritoneal_stage_2_patient_in_new_york_gets_the_hipec_surgeon_first():
    results = rank(MatchQuery(zip=NYC, cancer_type="peritoneal", stage="2"), NEW_YORK_AREA)
    assert results[0].listing.listing_id == "HIPEC" and results[0].tier == 1
    assert results[0].reasons[0].startswith("performs cytoreductive surgery with HIPEC")
    assert [m.tier for m in results] == sorted(m.tier for m in results)
    assert {m.listing.listing_id for m in results if m.tier == 3} == {"PALL", "LUNG"}


def test_a_pleural_stage_4_veteran_gets_systemic_therapy_first():
    query = MatchQuery(zip=NYC, cancer_type="pleural", stage="4", veteran=True)
    first = rank(query, NEW_YORK_AREA)[0]
    assert first.listing.listing_id == "ONC" and first.tier == 1
    assert first.reasons[0] == "offers chemotherapy and immunotherapy, the usual options at stage 4"


def test_at_stage_4_clinical_trials_alone_do_not_fit_the_stage():
    trials = _listing("TRIALS", "10011", "thoracic_surgery", "clinical_trials", "surgery_pd")
    chemo = _listing("CHEMO", "10601", "medical_oncology", "chemotherapy")
    for need, tiers in (("treatment", [1, 2]), ("clinical_trial", [1, 2])):
        query = MatchQuery(zip=NYC, cancer_type="pleural", stage="4", need=need)
        results = rank(query, [trials, chemo])
        order = ["CHEMO", "TRIALS"] if need == "treatment" else ["TRIALS", "CHEMO"]
        assert [m.listing.listing_id for m in results] == order
        assert [m.tier for m in results] == tiers


def test_sarcomatoid_lifts_immunotherapy_above_a_nearer_fitting_surgeon_and_says_why():
    surgeon = _listing("SURG", "10011", "thoracic_surgery", "chemotherapy", "clinical_trials")
    onc = _listing("IMMUNO", "19104", "medical_oncology", "chemotherapy", "immunotherapy")
    query = MatchQuery(zip=NYC, cancer_type="pleural", stage="4", cell_type="biphasic")
    first = rank(query, [surgeon, onc])[0]
    assert first.listing.listing_id == "IMMUNO" and first.lifts[0] == "cell_type"
    assert "offers immunotherapy, usually the first treatment for biphasic mesothelioma" in (
        first.reasons
    )


def test_need_palliative_at_the_same_zip_gets_the_palliative_care_doctor_first():
    query = MatchQuery(zip=NYC, cancer_type="pleural", stage="4", need="palliative")
    results = rank(query, NEW_YORK_AREA)
    assert results[0].listing.listing_id == "PALL"
    assert results[0].reasons[0].startswith("a palliative care specialist")
    by_id = {m.listing.listing_id: m for m in results}
    # treating specialists without palliative care are tier 3 and say only what they offer
    assert by_id["HIPEC"].tier == 3 and by_id["PD"].tier == 3
    assert by_id["PD"].reasons[0] == (
        "treats pleural mesothelioma; offers extrapleural pneumonectomy (EPP) and "
        "pleurectomy/decortication (P/D)"
    )
    assert not any("palliative" in r for m in results if m.tier == 3 for r in m.reasons)


def test_need_clinical_trial_puts_trial_sites_first():
    query = MatchQuery(zip=NYC, cancer_type="pleural", stage="2", need="clinical_trial")
    assert rank(query, NEW_YORK_AREA)[0].listing.listing_id == "ONC"


def test_second_opinion_puts_fitting_doctors_with_a_team_first_and_says_so():
    # NEW_YORK_AREA is all "Test Cancer Center": the PD surgeon and ONC make it a team
    lone = _listing("LONE", "10011", "thoracic_surgery", "surgery_pd", institution="Solo Clinic")
    items = [*NEW_YORK_AREA, lone]
    base = rank(MatchQuery(zip=NYC, cancer_type="pleural", stage="1"), items)
    second = rank(
        MatchQuery(zip=NYC, cancer_type="pleural", stage="1", need="second_opinion"), items
    )
    assert [m.listing.listing_id for m in base][:2] == ["LONE", "PD"]
    assert [(m.listing.listing_id, m.tier) for m in second][:2] == [("PD", 1), ("LONE", 2)]
    assert second[0].reasons[1] == (
        "part of a team of surgeons and oncologists for pleural mesothelioma at Test Cancer Center"
    )
    assert not any("team" in r for r in second[1].reasons)
    # the rest as for treatment, one tier lower
    tiers = {m.listing.listing_id: m.tier for m in base}
    assert all(m.tier == tiers[m.listing.listing_id] + 1 for m in second[1:])


def test_a_team_needs_an_active_surgeon_and_oncologist_for_the_type_at_one_institution():
    surgeon = _listing("S", "10011", "thoracic_surgery", "surgery_pd", types=frozenset({"pleural"}))
    onc = _listing("O", "10016", "medical_oncology", "chemotherapy",
                   types=frozenset({"peritoneal"}))  # fmt: skip
    query = MatchQuery(zip=NYC, cancer_type="pleural", stage="1", need="second_opinion")
    assert rank(query, [surgeon, onc])[0].tier == 2  # the oncologist treats another type
    onc = _listing("O", "10016", "medical_oncology", "chemotherapy")
    assert rank(query, [surgeon, onc])[0].tier == 1
    inactive = _listing("O", "10016", "medical_oncology", "chemotherapy", active=False)
    assert rank(query, [surgeon, inactive])[0].tier == 2
    elsewhere = _listing("O", "10016", "medical_oncology", "chemotherapy", institution="Other")
    assert rank(query, [surgeon, elsewhere])[0].tier == 2


def test_beyond_reach_tiers_blend_and_distance_weighs_more():
    # no travel limit: reach is 500 miles; Seattle and Los Angeles are beyond it from New York
    far_surgeon = _listing("FAR1", "98101", "thoracic_surgery", "surgery_pd")
    farther_onc = _listing("FAR2", "90210", "medical_oncology", "chemotherapy")
    near_lung = _listing("NEAR3", "10025", "pulmonology")
    results = rank(MatchQuery(zip=NYC, cancer_type="pleural", stage="1"),
                   [far_surgeon, farther_onc, near_lung])  # fmt: skip
    assert [m.listing.listing_id for m in results] == ["NEAR3", "FAR1", "FAR2"]
    assert [m.within_reach for m in results] == [True, False, False]
