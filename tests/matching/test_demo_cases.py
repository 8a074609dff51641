"""The issue 23 reproductions and a 2,000-case run against the demo directory, no database.

The demo listings are read from data/specialists_demo.csv by the import's own
parser (``_demo.py``) and ranked by ``ListingIndex``, as the service ranks them.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import Counter
from functools import cache

from intake.matching.index import ListingIndex
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CELL_TYPE_CHOICES,
    LANGUAGE_LABELS,
    NEEDS,
    STAGE_CHOICES,
    MatchQuery,
)

from ._demo import demo_listings
from ._strategies import ZIPS
from ._truth import expected_section, expected_tier, false_claims, reach, teams

RURAL = ("59801", "82001", "99701", "57701")
FIFTY_ZIPS = (*RURAL, *ZIPS[: 50 - len(RURAL)])


@cache
def _index() -> ListingIndex:
    return ListingIndex(demo_listings())


def _rank(**fields: object):  # type: ignore[no-untyped-def]
    return _index().rank(MatchQuery(**fields))  # type: ignore[arg-type]


def test_repro_1_palliative_gives_no_treating_specialist_a_palliative_reason():
    results = _rank(zip="94103", cancer_type="pleural", stage="4", need="palliative", limit=20)
    assert results[0].listing.specialty in ("palliative_care", "pulmonology")
    for m in results:
        if m.listing.specialty in ("palliative_care", "pulmonology"):
            continue
        text = " ".join(m.reasons)
        if "palliative_care" not in m.listing.treatments:
            assert "palliative" not in text and "symptom" not in text, m
            assert m.tier == 3
        else:
            assert m.tier == 2 and "offers palliative care" in text
    nakamura = next(m for m in results if m.listing.name.startswith("Dr. Amara Nakamura"))
    assert nakamura.reasons[0].startswith("treats pleural mesothelioma; offers")


def test_repro_2_no_close_to_home_beyond_reach_and_nothing_past_100_miles_is_best():
    for need in NEEDS:
        results = _rank(zip="59801", cancer_type="pleural", max_miles=100, telehealth_ok=True,
                        limit=20, need=need)  # fmt: skip
        assert results
        for m in results:
            assert "close to home" not in " ".join(m.reasons)
            if m.distance_miles > 100:
                assert m.section in ("video", "farther"), m
    unlimited = _rank(zip="94103", cancer_type="pleural", stage="4", limit=30)
    assert any(m.section == "farther" for m in unlimited)
    assert all(m.section in ("farther", "video") for m in unlimited if m.distance_miles > 500)


def test_repro_3_sarcomatoid_stage_4_gets_immunotherapy_first_and_is_told_why():
    results = _rank(zip="94103", cancer_type="pleural", stage="4", cell_type="sarcomatoid")
    first = results[0]
    assert "immunotherapy" in first.listing.treatments
    assert first.listing.specialty == "medical_oncology"
    assert "offers immunotherapy, usually the first treatment for sarcomatoid mesothelioma" in (
        first.reasons
    )


def test_repro_4_second_opinion_at_10001_puts_a_team_first():
    base = _rank(zip="10001", cancer_type="pleural", stage="1", limit=5)
    second = _rank(zip="10001", cancer_type="pleural", stage="1", need="second_opinion", limit=5)
    assert base[0].listing.listing_id != second[0].listing.listing_id
    assert second[0].tier == 1 and second[0].section == "best"
    assert second[0].reasons[1] == (
        "part of a team of surgeons and oncologists for pleural mesothelioma at "
        f"{second[0].listing.institution}"
    )


def generated_cases(count: int = 2000, seed: int = 23) -> list[MatchQuery]:
    """Every need x stage x cell type in turn, with random ZIP (of 50), type and options."""
    rnd = random.Random(seed)
    combos = itertools.cycle(itertools.product(NEEDS, STAGE_CHOICES, CELL_TYPE_CHOICES))
    cases = []
    for _, (need, stage, cell) in zip(range(count), combos, strict=False):
        cases.append(
            MatchQuery(
                zip=rnd.choice(FIFTY_ZIPS),
                cancer_type=rnd.choice(CANCER_TYPE_CHOICES),
                stage=stage,
                cell_type=cell,
                veteran=rnd.random() < 0.3,
                language=rnd.choice(["en", "en", "es", "zh"]),
                telehealth_ok=rnd.random() < 0.5,
                max_miles=rnd.choice([None, None, 50.0, 100.0, 250.0]),
                limit=rnd.choice([5, 10, 20]),
                need=need,
            )
        )
    return cases


def run_cases(cases: list[MatchQuery]) -> Counter[str]:
    """Check every result of every case; count what was checked and every falsehood found."""
    team_set = teams(demo_listings())
    figures: Counter[str] = Counter()
    for query in cases:
        results = _index().rank(query)
        figures["cases"] += 1
        figures["cases with results"] += bool(results)
        for m in results:
            figures["results"] += 1
            figures[f"section {m.section}"] += 1
            figures["false reasons"] += bool(false_claims(m, query, team_set))
            figures["wrong tier"] += m.tier != expected_tier(m.listing, query, team_set)
            figures["wrong section"] += m.section != expected_section(m, query)
            figures["support beyond reach"] += m.section == "support" and m.distance_miles > reach(
                query
            )
        second = _index().rank(dataclasses.replace(query, need="second_opinion"))
        if any(m.tier == 1 and m.within_reach for m in second):
            figures["team within reach"] += 1
            treatment = _index().rank(dataclasses.replace(query, need="treatment"))
            same = [(m.listing.listing_id, m.reasons) for m in second] == [
                (m.listing.listing_id, m.reasons) for m in treatment
            ]
            figures["second opinion same as treatment"] += same
            figures["second opinion first result differs"] += (
                second[0].listing.listing_id != treatment[0].listing.listing_id
            )
            figures["team reason on first result"] += "part of a team" in " ".join(
                second[0].reasons
            )
    return figures


def test_2000_generated_cases_say_nothing_false():
    cases = generated_cases()
    assert len({q.zip for q in cases}) == 50 and set(RURAL) <= {q.zip for q in cases}
    assert {(q.need, q.stage, q.cell_type) for q in cases} == set(
        itertools.product(NEEDS, STAGE_CHOICES, CELL_TYPE_CHOICES)
    )
    assert all(q.language in LANGUAGE_LABELS for q in cases)
    figures = run_cases(cases)
    assert figures["cases"] == 2000 and figures["results"] > 10_000
    for bad in ("false reasons", "wrong tier", "wrong section", "support beyond reach"):
        assert figures[bad] == 0, (bad, figures)
    assert figures["team within reach"] > 100
    assert figures["second opinion same as treatment"] == 0
    assert figures["team reason on first result"] == figures["team within reach"]
