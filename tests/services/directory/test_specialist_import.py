"""Specialist CSV import and export on PostgreSQL: all or nothing, upsert, stable round trip."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from intake.models import AuditEvent, Specialist
from intake.services.directory import specialist_admin, specialist_csv, specialists
from intake.services.directory.specialists import DEMO_CSV, import_csv, load_demo

HEADER = list(specialist_csv.COLUMNS)
GOOD = {
    "listing_id": "SPC-9001",
    "npi": "1234567893",
    "first_name": "Ada",
    "last_name": "Quill",
    "credentials": "MD",
    "specialty": "thoracic_surgery",
    "institution": "Harbor Institute",
    "address": "1 Main St",
    "city": "New York",
    "state": "NY",
    "zip": "10001",
    "cancer_types": "pleural;peritoneal",
    "treatments": "chemotherapy;surgery_pd",
    "accepts_va": "yes",
    "accepting_new_patients": "yes",
    "telehealth": "no",
    "languages": "en;es",
    "active": "yes",
    "phone": "212-555-0100",
    "email": "",
    "website": "https://example.org",
}


def csv_text(*rows: dict, header: list[str] = HEADER) -> str:
    lines = [",".join(header)]
    lines += [",".join(str(row.get(name, "")) for name in header) for row in rows]
    return "\n".join(lines) + "\n"


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Specialist))


def good(listing_id: str, **changes: str) -> dict:
    return {**GOOD, "listing_id": listing_id, **changes}


BAD_ROWS = [
    ({"zip": "00000"}, "zip", "ZIP code 00000 does not exist"),
    ({"zip": "1234"}, "zip", "is not a 5-digit ZIP code"),
    ({"state": "XX"}, "state", "is not a two-letter US state"),
    ({"cancer_types": "pleural;lung"}, "cancer_types", "unknown cancer type: lung"),
    ({"treatments": "chemotherapy;magic"}, "treatments", "unknown treatment: magic"),
    ({"npi": "1234567890"}, "npi", "check digit is wrong"),
    ({"npi": "12345"}, "npi", "must be 10 digits"),
    ({"accepts_va": "maybe"}, "accepts_va", "must be yes or no"),
    ({"telehealth": "Y"}, "telehealth", "must be yes or no"),
    ({"specialty": "dentistry"}, "specialty", "unknown specialty"),
    ({"first_name": ""}, "first_name", "is required"),
    ({"institution": "=HYPERLINK()"}, "institution", "must not start with ="),
    ({"institution": "-2+3+cmd|' /C calc'!A0"}, "institution", "must not start with"),
    ({"phone": '=HYPERLINK("http://evil")'}, "phone", "must not start with"),
    ({"phone": "call us"}, "phone", "area code"),
    ({"phone": "555-0102"}, "phone", "'555-0102' is not a valid US phone number"),
    ({"phone": "(416) 555-0143"}, "phone", "is not a valid US phone number"),  # Toronto
    ({"phone": "(212) 555-014"}, "phone", "is not a valid US phone number"),
    ({"city": "Springfield\u202eevil"}, "city", "text-direction character"),
    ({"last_name": "Quill\u200b"}, "last_name", "invisible"),
    ({"languages": "english"}, "languages", "not a two-letter ISO 639-1 code"),
]


@pytest.mark.parametrize(("changes", "column", "message"), BAD_ROWS)
def test_each_kind_of_bad_row_is_reported_on_its_line_and_nothing_is_imported(
    db_session, changes, column, message
):
    text = csv_text(good("SPC-9001"), good("SPC-9002", **changes), good("SPC-9003"))
    report = import_csv(db_session, text, actor="test")
    assert [(p.line, p.column) for p in report.problems] == [(3, column)]
    assert message in report.problems[0].message
    assert not report.ok and report.created == [] and count(db_session) == 0


def test_a_duplicate_listing_id_names_the_first_line(db_session):
    report = import_csv(
        db_session, csv_text(good("SPC-9001"), good("SPC-9002"), good("SPC-9001")), "t"
    )
    assert [str(p) for p in report.problems] == ["line 4, listing_id: duplicate of line 2"]
    assert count(db_session) == 0


def test_a_missing_required_column_is_reported_on_the_header_line(db_session):
    header = [name for name in HEADER if name != "zip"]
    report = import_csv(db_session, csv_text(good("SPC-9001"), header=header), "t")
    assert [str(p) for p in report.problems] == ["line 1, zip: required column is missing"]
    assert count(db_session) == 0


def test_every_problem_in_a_file_is_reported_at_once(db_session):
    rows = [
        good("SPC-9001", zip="00000", state="XX"),
        good("SPC-9002"),
        good("SPC-9003", accepts_va="sometimes"),
    ]
    report = import_csv(db_session, csv_text(*rows), "t")
    assert [(p.line, p.column) for p in report.problems] == [
        (2, "state"),
        (2, "zip"),
        (4, "accepts_va"),
    ]


def test_a_dry_run_reports_but_changes_nothing(db_session):
    report = import_csv(db_session, csv_text(good("SPC-9001")), "t", dry_run=True)
    assert report.ok and report.created == ["SPC-9001"] and count(db_session) == 0


def test_upsert_updates_an_existing_listing_and_leaves_the_others(db_session):
    assert load_demo(db_session).ok
    before = {s.listing_id: specialists.as_row(s) for s in db_session.scalars(select(Specialist))}
    row = list(csv.DictReader(io.StringIO(specialists.export_csv(db_session))))[1]
    assert row["listing_id"] == "SPC-0002"
    report = import_csv(db_session, csv_text({**row, "telehealth": "yes"}, good("SPC-9001")), "ed")
    assert (report.created, report.updated, report.unchanged) == (["SPC-9001"], ["SPC-0002"], [])
    db_session.expire_all()
    after = {s.listing_id: s for s in db_session.scalars(select(Specialist))}
    assert after["SPC-0002"].telehealth is True and after["SPC-0002"].updated_by == "ed"
    assert after["SPC-9001"].npi == "1234567893" and after["SPC-9001"].languages == ["en", "es"]
    for listing_id, values in before.items():
        if listing_id != "SPC-0002":
            assert specialists.as_row(after[listing_id]) == values, listing_id
            assert after[listing_id].updated_by == "demo"


def test_export_then_import_changes_nothing_and_the_export_is_byte_identical(db_session):
    assert load_demo(db_session).ok
    exported = specialists.export_csv(db_session)
    report = import_csv(db_session, exported, actor="round-trip")
    assert report.ok and report.created == [] and report.updated == []
    assert len(report.unchanged) == 150
    assert specialists.export_csv(db_session) == exported
    assert exported.splitlines()[0] == ",".join(HEADER)


def test_the_demo_file_loads_150_listings_twice_idempotently(db_session):
    first = load_demo(db_session)
    assert first.ok and len(first.created) == 150 and count(db_session) == 150
    second = load_demo(db_session)
    assert (second.created, second.updated, len(second.unchanged)) == ([], [], 150)
    assert count(db_session) == 150
    assert DEMO_CSV.exists()


def test_admin_import_is_audited_only_when_something_was_imported(db_session):
    bad = specialist_admin.import_listings(db_session, csv_text(good("X", zip="0")), "cli")
    dry = specialist_admin.import_listings(
        db_session, csv_text(good("SPC-9001")), "cli", dry_run=True
    )
    assert not bad.ok and dry.ok
    assert db_session.scalars(select(AuditEvent)).all() == []
    real = specialist_admin.import_listings(
        db_session, csv_text(good("SPC-9001")), "cli", "10.0.0.1"
    )
    assert real.ok
    [event] = db_session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_label, event.ip) == ("specialist.import", "cli", "10.0.0.1")
    assert event.detail == {"created": 1, "updated": 0, "unchanged": 0}


def test_the_export_neutralises_formulas_stored_before_todays_rules(db_session):
    """OWASP: whatever came in, a cell never starts with = + - @ on the way out."""
    assert import_csv(db_session, csv_text(good("SPC-9001")), actor="t").ok
    listing = db_session.scalars(select(Specialist)).one()
    listing.institution = "-2+3+cmd|' /C calc'!A0"
    listing.phone = '=HYPERLINK("http://evil")'
    db_session.flush()
    exported = specialists.export_csv(db_session)
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["institution"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["phone"] == '\'=HYPERLINK("http://evil")'


def test_a_cell_past_the_csv_field_limit_is_a_problem_not_a_crash(db_session):
    huge = "x" * (csv.field_size_limit() + 10)
    text = csv_text(good("SPC-9001")) + f'SPC-9002,,"{huge}"\n'
    report = import_csv(db_session, text, actor="t")
    assert not report.ok and count(db_session) == 0
    assert "longer than" in report.problems[-1].message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("212-555-0100", "(212) 555-0100"),
        ("212.555.0100", "(212) 555-0100"),
        ("1 212 555 0100", "(212) 555-0100"),
        ("(212) 555-0100 x12", "(212) 555-0100 ext. 12"),
        ("(787) 555-0143", "(787) 555-0143"),  # Puerto Rico, which the state column allows
        ("", None),
    ],
)
def test_a_phone_is_stored_as_it_is_shown(db_session, typed, stored):
    assert import_csv(db_session, csv_text(good("SPC-9001", phone=typed)), actor="t").ok
    assert db_session.scalars(select(Specialist.phone)).one() == stored


def test_the_dry_run_names_the_line_of_each_phone_without_an_area_code(db_session):
    rows = [good(f"SPC-900{n}") for n in range(1, 7)]
    rows[5] = good("SPC-9006", phone="555-0102")  # the file's line 7
    report = import_csv(db_session, csv_text(*rows), actor="t", dry_run=True)
    assert [str(problem) for problem in report.problems] == [
        "line 7, phone: '555-0102' is not a valid US phone number: give it with the area "
        "code, like (212) 555-0143"
    ]
    assert not report.ok and count(db_session) == 0


def test_every_demo_listing_has_a_full_phone_number_and_a_website(db_session):
    assert load_demo(db_session).ok
    listings = db_session.scalars(select(Specialist)).all()
    assert len(listings) == 150
    for listing in listings:
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", listing.phone or ""), listing.listing_id
        assert (listing.website or "").startswith("https://"), listing.listing_id
