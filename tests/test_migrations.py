"""The migrations build the models' schema, and the data migrations keep every value.

Run against PostgreSQL (production) and SQLite (the embedded mode, where
Alembic's batch mode rebuilds tables), each in a scratch database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from intake import create_app
from intake.config import engine_options
from intake.extensions import db
from intake.models import Case, CaseMatch
from tests.conftest import RUN_DATABASE, TEST_DATABASE_URL, _admin, kept_logging

BEFORE_SEALING = "0f0d5c1ac6ac"
SCRATCH_DATABASE = f"{RUN_DATABASE}_migrations"


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_app(request: pytest.FixtureRequest, tmp_path) -> Iterator[Flask]:
    if request.param == "postgresql":
        _admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}"')
        _admin(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + SCRATCH_DATABASE
    else:
        url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgresql":
        _admin(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)')


def test_the_migrations_build_exactly_the_models_schema(scratch_app):
    with scratch_app.app_context():
        with kept_logging():  # the migrations' env.py reconfigures logging
            upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def _plain_rows(connection):
    case = connection.execute(
        text("SELECT diagnosis_type, stage, cell_type, veteran, zip, state FROM cases WHERE id = 1")
    ).one()
    match = connection.execute(
        text("SELECT reasons, summary, distance_miles FROM case_matches")
    ).one()
    return case, match


def test_sealing_the_case_facts_keeps_every_value_and_can_be_undone(scratch_app):
    with scratch_app.app_context():
        upgrade(revision=BEFORE_SEALING)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cases (id, diagnosis_type, stage, cell_type, veteran, zip, state)"
                    " VALUES (1, 'pleural', '2', 'epithelioid', :yes, '60601', 'IL'),"
                    " (2, NULL, NULL, NULL, NULL, NULL, NULL)"
                ),
                {"yes": True},
            )
            connection.execute(
                text(
                    "INSERT INTO specialists (id, listing_id, first_name, last_name, specialty,"
                    " institution, city, state, zip, cancer_types, treatments, accepts_va,"
                    " accepting_new_patients, telehealth, languages, active, lat, lon)"
                    " VALUES (1, 'SPC-1', 'Ada', 'Example', 'thoracic_surgery', 'Example Center',"
                    " 'Chicago', 'IL', '60601', '[]', '[]', :no, :yes, :no, '[\"en\"]', :yes,"
                    " 41.88, -87.62)"
                ),
                {"yes": True, "no": False},
            )
            connection.execute(
                text(
                    "INSERT INTO case_matches (case_id, specialist_id, rank, distance_miles,"
                    " score, reasons, summary, created_at) VALUES (1, 1, 1, 2.5, 9.0,"
                    " '[\"Treats pleural mesothelioma\"]', 'Treats pleural mesothelioma',"
                    " CURRENT_TIMESTAMP)"
                )
            )

        with kept_logging():  # the migrations' env.py reconfigures logging
            upgrade()
        with db.engine.connect() as connection:
            sealed = repr(_plain_rows(connection))
        for plain in ("pleural", "epithelioid", "60601"):
            assert plain not in sealed
        assert "'IL'" in sealed  # state and time zone stay plain (see the Case model)
        case = db.session.get(Case, 1)
        assert (case.diagnosis_type, case.stage, case.cell_type, case.veteran, case.zip) == (
            "pleural",
            "2",
            "epithelioid",
            True,
            "60601",
        )
        empty = db.session.get(Case, 2)
        assert (empty.diagnosis_type, empty.veteran, empty.zip) == (None, None, None)
        match = db.session.scalars(select(CaseMatch)).one()
        assert match.reasons == ["Treats pleural mesothelioma"]
        assert match.distance_miles == 2.5
        assert match.summary == "Treats pleural mesothelioma"
        db.session.remove()

        with kept_logging():
            downgrade(revision=BEFORE_SEALING)
        with db.engine.connect() as connection:
            case_row, match_row = _plain_rows(connection)
        assert tuple(case_row[:3]) == ("pleural", "2", "epithelioid")
        assert bool(case_row[3]) is True and tuple(case_row[4:]) == ("60601", "IL")
        reasons = match_row[0]
        assert "Treats pleural mesothelioma" in (
            reasons if isinstance(reasons, str) else reasons[0]
        )
        assert match_row[1] == "Treats pleural mesothelioma"
        assert match_row[2] == 2.5
