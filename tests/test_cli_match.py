"""`intake match`: the API's JSON on standard output, one plain line on bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The 150 fictional demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def _run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["match", *args])


def test_match_prints_the_same_json_as_the_api(app, client, demo):
    result = _run(app, "--zip", "10001", "--cancer-type", "pleural", "--limit", "3")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert len(printed["results"]) == 3
    api = client.get("/api/v1/match?zip=10001&cancer_type=pleural&limit=3").get_json()
    assert printed == api
    assert result.stdout.startswith('{\n  "query"')  # indented by 2


def test_every_option_reaches_the_query(app, client, demo):
    args = "--zip 60601 --cancer-type pleural --stage 4 --cell-type biphasic --veteran"
    args += " --language es --telehealth --max-miles 100 --need second_opinion"
    result = _run(app, *args.split())
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["query"] == {
        "zip": "60601", "cancer_type": "pleural", "stage": "4", "cell_type": "biphasic",
        "veteran": True, "language": "es", "telehealth": True, "max_miles": 100.0, "limit": 10,
        "need": "second_opinion",
    }  # fmt: skip
    query = "zip=60601&cancer_type=pleural&stage=4&cell_type=biphasic&veteran=yes&language=es"
    query += "&need=second_opinion"
    api = client.get(f"/api/v1/match?{query}&telehealth=yes&max_miles=100").get_json()
    assert printed == api


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--zip", "00000", "--cancer-type", "pleural"], "--zip"),
        (["--zip", "abcde", "--cancer-type", "pleural"], "--zip"),
        (["--cancer-type", "pleural"], "--zip"),
        (["--zip", "10001", "--cancer-type", "lung"], "--cancer-type"),
        (["--zip", "10001"], "--cancer-type"),
        (["--zip", "10001", "--cancer-type", "pleural", "--limit", "ten"], "--limit"),
        (["--zip", "10001", "--cancer-type", "pleural", "--max-miles", "-1"], "--max-miles"),
        (["--zip", "10001", "--cancer-type", "pleural", "--stage", "9"], "--stage"),
        (["--zip", "10001", "--cancer-type", "pleural", "--need", "cure"], "--need"),
        (["--zip", "10001", "--cancer-type", "pleural", "--language", "xx"], "--language"),
        (["--zip", "10001", "--cancer-type", "pleural", "--cell-type", "odd"], "--cell-type"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(app, demo, args, option):
    result = _run(app, *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {option}: ")
    assert "Traceback" not in result.output


def test_vocabulary_is_accepted_in_any_letter_case(app, demo):
    lower = _run(app, "--zip", "10001", "--cancer-type", "pleural", "--stage", "3")
    mixed = _run(app, "--zip", "10001", "--cancer-type", "Pleural", "--stage", "3",
                 "--need", "Treatment", "--language", "EN")  # fmt: skip
    assert mixed.exit_code == 0, mixed.output
    assert json.loads(mixed.stdout)["results"] == json.loads(lower.stdout)["results"]
    assert json.loads(mixed.stdout)["query"]["cancer_type"] == "pleural"


def test_every_result_names_its_tier(app, demo):
    result = _run(app, "--zip", "10001", "--cancer-type", "peritoneal", "--stage", "2")
    results = json.loads(result.stdout)["results"]
    assert results and all(r["tier"] in (1, 2, 3) for r in results)
    assert [r["tier"] for r in results] == sorted(r["tier"] for r in results)
    assert all(r["section"] in ("best", "support", "video", "farther") for r in results)
    second = _run(app, "--zip", "10001", "--cancer-type", "pleural", "--stage", "1",
                  "--need", "second_opinion")  # fmt: skip
    first = json.loads(second.stdout)["results"][0]
    assert first["tier"] == 1 and first["section"] == "best"
    assert first["reasons"][1].startswith("part of a team of surgeons and oncologists")
