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
