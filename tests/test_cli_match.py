"""`intake match`: the API's JSON on standard output, one plain line on bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from intake.services import match_query
from intake.services.specialists import load_demo


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
    args += " --language es --telehealth --max-miles 100"
    result = _run(app, *args.split())
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["query"] == {
        "zip": "60601", "cancer_type": "pleural", "stage": "4", "cell_type": "biphasic",
        "veteran": True, "language": "es", "telehealth": True, "max_miles": 100.0, "limit": 10,
    }  # fmt: skip
    query = "zip=60601&cancer_type=pleural&stage=4&cell_type=biphasic&veteran=yes&language=es"
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
