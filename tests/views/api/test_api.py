"""GET /api/v1/match and /api/v1/openapi.json: shape, agreement with the engine, every 400."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from intake import translator
from intake.matching.types import MatchQuery
from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo

REQUIRED_KEYS = {
    "listing_id", "name", "institution", "city", "state", "zip", "distance_miles", "score",
    "tier", "section", "reasons",
}  # fmt: skip
EXTRA_KEYS = {
    "specialty", "treatments", "telehealth", "accepts_va", "languages", "lifts", "phone",
    "website", "reason_codes",
}  # fmt: skip


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The 150 fictional demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def _get(client: Any, **params: Any) -> Any:
    response = client.get("/api/v1/match", query_string=params)
    assert response.mimetype == "application/json"
    return response


def test_a_match_answers_with_exactly_the_documented_keys(client, demo):
    response = _get(client, zip="10001", cancer_type="peritoneal")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"query", "count", "results"}
    assert body["count"] == len(body["results"]) == 10
    for result in body["results"]:
        assert set(result) == REQUIRED_KEYS | EXTRA_KEYS
        assert result["reasons"] and all(isinstance(r, str) for r in result["reasons"])
        assert result["tier"] in (1, 2, 3) and "fair_spread" not in result["lifts"]
        assert result["section"] in ("best", "support", "video", "farther")
        assert not any("fair" in reason for reason in result["reasons"])
    assert [r["tier"] for r in body["results"]][0] == 1  # a HIPEC surgeon first
    assert body["results"][0]["reasons"][0].startswith("performs cytoreductive surgery with HIPEC")
    assert body["query"] == {
        "zip": "10001", "cancer_type": "peritoneal", "stage": "not_sure",
        "cell_type": "not_sure", "veteran": False, "language": "en", "telehealth": False,
        "max_miles": None, "limit": 10, "need": "treatment",
    }  # fmt: skip


# --- issue 23's reproductions, through the API ---


def test_palliative_at_94103_gives_no_surgeon_a_palliative_reason(client, demo):
    body = _get(client, zip="94103", cancer_type="pleural", stage="4", need="palliative",
                limit=20).get_json()  # fmt: skip
    results = body["results"]
    assert results[0]["specialty"] in ("palliative_care", "pulmonology")
    for r in results:
        if r["specialty"] not in ("palliative_care", "pulmonology"):
            has = "palliative_care" in r["treatments"]
            assert r["tier"] == (2 if has else 3)
            assert has or not any("palliative" in reason for reason in r["reasons"])


def test_at_59801_within_100_miles_nothing_farther_is_best_or_close_to_home(client, demo):
    body = _get(client, zip="59801", cancer_type="pleural", max_miles=100, telehealth="true",
                limit=20).get_json()  # fmt: skip
    assert body["results"]
    for r in body["results"]:
        assert not any("close to home" in reason for reason in r["reasons"])
        if r["distance_miles"] > 100:
            assert r["section"] == "video" and r["telehealth"]
        else:
            assert r["section"] in ("best", "support")


def test_sarcomatoid_stage_4_at_94103_gets_immunotherapy_first(client, demo):
    body = _get(client, zip="94103", cancer_type="pleural", stage="4",
                cell_type="sarcomatoid").get_json()  # fmt: skip
    first = body["results"][0]
    assert "immunotherapy" in first["treatments"] and first["tier"] == 1
    assert (
        "offers immunotherapy, usually the first treatment for sarcomatoid mesothelioma"
        in (first["reasons"])
    )


def test_second_opinion_at_10001_differs_from_treatment(client, demo):
    params = {"zip": "10001", "cancer_type": "pleural", "stage": "1", "limit": 5}
    treatment = _get(client, **params).get_json()["results"]
    second = _get(client, **params, need="second_opinion").get_json()["results"]
    assert second[0]["listing_id"] != treatment[0]["listing_id"]
    assert second[0]["tier"] == 1 and second[0]["section"] == "best"
    assert second[0]["reasons"][1] == (
        "part of a team of surgeons and oncologists for pleural mesothelioma at "
        + second[0]["institution"]
    )


QUERIES = [
    ({"zip": "10001", "cancer_type": "peritoneal"}, MatchQuery("10001", "peritoneal")),
    (
        {"zip": "60601", "cancer_type": "pleural", "stage": "4", "veteran": "yes",
         "language": "es", "telehealth": "1", "max_miles": "100", "limit": "25"},
        MatchQuery("60601", "pleural", stage="4", veteran=True, language="es",
                   telehealth_ok=True, max_miles=100.0, limit=25),
    ),
    (
        {"zip": "94110-1234", "cancer_type": "not_sure", "cell_type": "sarcomatoid",
         "stage": "1", "veteran": "no", "telehealth": "false", "max_miles": "250.5"},
        MatchQuery("94110", "not_sure", stage="1", cell_type="sarcomatoid", max_miles=250.5),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("params", "query"), QUERIES)
def test_results_are_the_engines_best_score_first(client, demo, params, query):
    body = _get(client, **params).get_json()
    expected = match_query.find_matches(demo, query)
    assert expected, "the demo data should match this query"
    words = translator.wording(query.language)  # the reasons in the patient's language
    assert body["results"] == [match_query.match_as_dict(m, words) for m in expected]
    assert [r["listing_id"] for r in body["results"]] == [m.listing.listing_id for m in expected]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_limit_is_respected_and_the_same_call_gives_the_same_body(client, demo):
    for limit in (1, 3, 50):
        body = _get(client, zip="10001", cancer_type="not_sure", limit=limit).get_json()
        assert len(body["results"]) == limit
    first = _get(client, zip="10001", cancer_type="pleural", stage="3", veteran="yes")
    second = _get(client, zip="10001", cancer_type="pleural", stage="3", veteran="yes")
    assert first.get_data() == second.get_data()


def test_a_travel_limit_keeps_only_near_listings_or_video_visits(client, demo):
    body = _get(client, zip="10001", cancer_type="pleural", max_miles=50, limit=50).get_json()
    assert body["results"] and all(r["distance_miles"] <= 50 for r in body["results"])
    tele = _get(
        client, zip="10001", cancer_type="pleural", max_miles=50, telehealth="yes", limit=50
    ).get_json()
    far = [r for r in tele["results"] if r["distance_miles"] > 50]
    assert far and all(r["telehealth"] for r in far)


BAD = [
    ({"zip": None}, "zip"),
    ({"zip": "", "cancer_type": "pleural"}, "zip"),
    ({"zip": "00000", "cancer_type": "pleural"}, "zip"),
    ({"zip": "1234", "cancer_type": "pleural"}, "zip"),
    ({"zip": "abcde", "cancer_type": "pleural"}, "zip"),
    ({"zip": "100011", "cancer_type": "pleural"}, "zip"),
    ({"zip": " 10001", "cancer_type": "pleural"}, "zip"),
    ({"zip": "١٠٠٠١", "cancer_type": "pleural"}, "zip"),
    ({"cancer_type": None}, "cancer_type"),
    ({"zip": "10001", "cancer_type": ""}, "cancer_type"),
    ({"zip": "10001", "cancer_type": "lung"}, "cancer_type"),
    ({"zip": "10001", "cancer_type": "lung cancer"}, "cancer_type"),
    ({"stage": "5"}, "stage"),
    ({"stage": "IV"}, "stage"),
    ({"cell_type": "small"}, "cell_type"),
    ({"veteran": "maybe"}, "veteran"),
    ({"veteran": "yes please"}, "veteran"),
    ({"language": "xx"}, "language"),
    ({"need": "cure"}, "need"),
    ({"need": "Second opinion"}, "need"),
    ({"language": "english"}, "language"),
    ({"language": "E1"}, "language"),
    ({"telehealth": "2"}, "telehealth"),
    ({"max_miles": "far"}, "max_miles"),
    ({"max_miles": "0"}, "max_miles"),
    ({"max_miles": "-5"}, "max_miles"),
    ({"max_miles": "nan"}, "max_miles"),
    ({"max_miles": "inf"}, "max_miles"),
    ({"max_miles": "1e999"}, "max_miles"),
    ({"max_miles": "١٠"}, "max_miles"),
    ({"limit": "0"}, "limit"),
    ({"limit": "51"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "2.5"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "9" * 5000}, "limit"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
def test_every_bad_parameter_is_a_400_naming_it(client, demo, params, field):
    merged = {"zip": "10001", "cancer_type": "pleural", **params}
    response = _get(client, **{k: v for k, v in merged.items() if v is not None})
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "field", "message"}
    assert body["error"] == "invalid_parameter"
    assert body["field"] == field
    assert body["message"].endswith(".") and "Traceback" not in body["message"]


def test_empty_optional_parameters_mean_not_given_and_unknown_ones_are_ignored(client, demo):
    plain = _get(client, zip="10001", cancer_type="pleural").get_json()
    empty = dict.fromkeys(("stage", "cell_type", "veteran", "language", "telehealth"), "")
    blank = _get(
        client, zip="10001", cancer_type="pleural", max_miles="", limit="", utm="x", **empty
    ).get_json()
    assert blank == plain


def test_the_api_answers_json_even_for_a_wrong_method(client, demo):
    response = client.post("/api/v1/match?zip=10001&cancer_type=pleural")
    assert response.status_code == 405
    assert response.mimetype == "application/json"


def test_the_openapi_document_is_valid_and_describes_every_parameter(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    validate(document)
    operation = document["paths"]["/api/v1/match"]["get"]
    names = [p["name"] for p in operation["parameters"]]
    assert names == [
        "zip", "cancer_type", "stage", "cell_type", "veteran", "language", "telehealth",
        "max_miles", "limit", "need",
    ]  # fmt: skip
    assert {"200", "400"} <= set(operation["responses"])
    result = document["components"]["schemas"]["MatchResult"]
    assert set(result["required"]) == REQUIRED_KEYS | EXTRA_KEYS
    assert result["additionalProperties"] is False


def test_a_listing_change_is_seen_at_once_in_tests_and_after_the_recheck_interval(
    app, client, demo
):
    from intake.models.specialist import Specialist

    def listing(listing_id: str) -> Specialist:
        return demo.scalars(select(Specialist).filter_by(listing_id=listing_id)).one()

    def top_id() -> str:
        body = _get(client, zip="10001", cancer_type="peritoneal", limit=1).get_json()
        return body["results"][0]["listing_id"]

    first = top_id()
    listing(first).active = False
    demo.flush()
    second = top_id()
    assert second != first  # tests re-check on every request

    app.config["MATCH_INDEX_RECHECK_SECONDS"] = 3600.0
    try:
        listing(second).active = False
        demo.flush()
        assert top_id() == second  # a server trusts its index until the interval passes
        match_query.invalidate()
        assert top_id() not in (first, second)
    finally:
        del app.config["MATCH_INDEX_RECHECK_SECONDS"]
