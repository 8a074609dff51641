"""``intake guide render``: a sample of any variant for staff review, and one-line errors."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from intake.cli import main as intake_cli
from intake.services.directory import match_query, specialists


@pytest.fixture
def listings(db_session):
    assert specialists.load_demo(db_session).ok
    match_query.invalidate()
    yield
    match_query.invalidate()


def test_render_writes_the_variant_asked_for(app, listings, tmp_path):
    out = tmp_path / "sample.pdf"
    result = app.test_cli_runner().invoke(
        intake_cli,
        ["guide", "render", "--type", "Pleural", "--stage", "4", "--cell-type", "sarcomatoid",
         "--veteran", "--topics", "treatment,financial", "--name", "Sample Reader",
         "--zip", "10001", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    chapters = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Prepared for Sample Reader" in reader.pages[0].extract_text()
    assert {"Pleural mesothelioma", "Stage 4", "Help with costs", "Benefits for veterans",
            "Specialists near you"} <= set(chapters)  # fmt: skip
    assert "Living with mesothelioma" not in chapters


def _matches_page(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = next(p.extract_text() for p in pages if "Based on ZIP" in p.extract_text())
    return " ".join(text.split())


def test_render_with_a_zip_shows_the_apis_first_results_with_sections(
    app, client, listings, tmp_path
):
    """Issue 23: a Chicago reader's page is the /api/v1/match first results, and says why far."""
    out = tmp_path / "chicago.pdf"
    args = ["guide", "render", "--type", "pleural", "--stage", "4", "--zip", "60601"]
    result = app.test_cli_runner().invoke(intake_cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = _matches_page(out.read_bytes())
    query = {"zip": "60601", "cancer_type": "pleural", "stage": "4", "telehealth": "true"}
    results = client.get("/api/v1/match", query_string={**query, "limit": 5}).get_json()["results"]
    assert "Within 500 miles of 60601" in page
    assert (
        "The nearest specialist who fits your stage is 200.6 miles away, in Ann Arbor, MI" in page
    )
    at = [page.find(r["name"]) for r in results]
    shown = [i for i in at if i >= 0]
    assert len(shown) >= 4 and shown == sorted(shown)  # the first results, in order
    assert all(i >= 0 for i in at[: len(shown)])  # never one skipped
    assert page.index("Within 500 miles of 60601") < shown[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "lung", "--stage", "1"], "--type: must be one of"),
        (["--type", "pleural", "--stage", "5"], "--stage: must be one of"),
        (["--type", "pleural", "--stage", "1", "--topics", "cures"], "--topics: must be one of"),
        (["--type", "pleural", "--stage", "1", "--language", "fr"], "--language: must be one of"),
        (["--type", "pleural", "--stage", "1", "--zip", "00000"], "--zip: not a US ZIP code"),
    ],
)
def test_bad_options_are_one_clear_line(app, db_session, tmp_path, args, message):
    result = app.test_cli_runner().invoke(
        intake_cli, ["guide", "render", *args, "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.pdf").exists()
