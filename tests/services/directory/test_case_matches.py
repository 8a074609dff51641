"""Matches recorded on cases: computed from the case's facts, stored with reasons, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from intake.models import Case, CaseMatch, Specialist
from intake.services.directory import match_query, specialists


@pytest.fixture
def demo_listings(db_session):
    report = specialists.load_demo(db_session)
    assert report.ok and len(report.created) == 150
    match_query.invalidate()
    yield
    match_query.invalidate()


def _case(db_session, **facts) -> Case:
    case = Case(**facts)
    db_session.add(case)
    db_session.flush()
    return case


def test_a_case_with_type_and_zip_gets_its_top_matches_with_reasons(db_session, demo_listings):
    case = _case(db_session, diagnosis_type="peritoneal", stage="2", zip="10001", veteran=True)
    assert match_query.record_case_matches(db_session, case.id) == match_query.CASE_MATCH_LIMIT
    rows = db_session.scalars(
        select(CaseMatch).where(CaseMatch.case_id == case.id).order_by(CaseMatch.rank)
    ).all()
    assert [row.rank for row in rows] == [1, 2, 3, 4, 5]
    expected = match_query.find_matches(db_session, match_query.query_for_case(case))
    assert [row.specialist.listing_id for row in rows] == [m.listing.listing_id for m in expected]
    for row, match in zip(rows, expected, strict=True):
        assert "peritoneal" in row.specialist.cancer_types
        staff_only = [match.staff_note] if match.staff_note else []
        assert row.reasons == [*match.reasons, *staff_only]
        assert row.tier == match.tier == 1
        assert "cytoreductive surgery with HIPEC" in row.reasons[0]
        assert row.distance_miles == match.distance_miles
        assert row.summary == "; ".join(match.reasons)


def test_recording_twice_leaves_the_same_rows(db_session, demo_listings):
    case = _case(db_session, diagnosis_type="pleural", zip="60601")
    match_query.record_case_matches(db_session, case.id)
    first = [(m.specialist_id, m.rank) for m in db_session.scalars(select(CaseMatch))]
    match_query.record_case_matches(db_session, case.id)
    again = [(m.specialist_id, m.rank) for m in db_session.scalars(select(CaseMatch))]
    assert first == again and len(again) == 5


@pytest.mark.parametrize("facts", [{"diagnosis_type": "pleural"}, {"zip": "10001"}, {}])
def test_a_case_without_type_or_zip_is_not_matched(db_session, demo_listings, facts):
    case = _case(db_session, **facts)
    assert match_query.record_case_matches(db_session, case.id) == 0
    assert db_session.scalar(select(func.count()).select_from(CaseMatch)) == 0


def test_an_unknown_case_is_a_no_op(db_session, demo_listings):
    assert match_query.record_case_matches(db_session, 987654) == 0


def test_recent_referrals_feed_the_fair_spread_count(db_session, demo_listings):
    case = _case(db_session, diagnosis_type="pleural", zip="10001")
    match_query.record_case_matches(db_session, case.id)
    counts = match_query.recent_referrals(db_session)
    top_three = db_session.scalars(select(CaseMatch.specialist_id).where(CaseMatch.rank <= 3)).all()
    assert counts == {specialist_id: 1 for specialist_id in top_three}


def test_the_index_follows_listing_changes(db_session, demo_listings):
    case = _case(db_session, diagnosis_type="pleural", zip="10001")
    query = match_query.query_for_case(case)
    best = match_query.find_matches(db_session, query)[0].listing.listing_id
    specialist = db_session.scalars(select(Specialist).where(Specialist.listing_id == best)).one()
    specialist.accepting_new_patients = False
    db_session.flush()
    assert best not in [m.listing.listing_id for m in match_query.find_matches(db_session, query)]


def test_the_case_facts_and_match_reasons_are_sealed_at_rest(db_session, demo_listings):
    case = _case(
        db_session, diagnosis_type="peritoneal", stage="2", cell_type="biphasic", zip="10001"
    )
    case.veteran = True
    match_query.record_case_matches(db_session, case.id)
    raw_case = db_session.execute(
        text("SELECT diagnosis_type, stage, cell_type, veteran, zip FROM cases WHERE id = :id"),
        {"id": case.id},
    ).one()
    raw_matches = db_session.execute(
        text("SELECT reasons, summary, distance_miles FROM case_matches")
    ).all()
    assert all(isinstance(value, bytes) for row in raw_matches for value in row)
    assert all(isinstance(value, bytes) for value in raw_case)
    dump = repr(raw_case) + repr(raw_matches)
    for plain in ("peritoneal", "biphasic", "10001", "true"):
        assert plain not in dump
    db_session.expire_all()
    again = db_session.get(Case, case.id)
    assert (again.diagnosis_type, again.stage, again.cell_type, again.veteran, again.zip) == (
        "peritoneal",
        "2",
        "biphasic",
        True,
        "10001",
    )
    assert "peritoneal mesothelioma" in db_session.scalars(select(CaseMatch)).first().reasons[0]


def test_fair_spread_is_a_note_for_staff_only(db_session, demo_listings):
    """Patients never read the fair-spread tie-breaker; staff see it on recorded matches."""
    case = _case(db_session, diagnosis_type="pleural", stage="3", zip="10001")
    match_query.record_case_matches(db_session, case.id)
    rows = db_session.scalars(select(CaseMatch)).all()
    assert any("fair spread" in reason for row in rows for reason in row.reasons)
    assert all("fair spread" not in row.summary for row in rows)
    patient_facing = match_query.find_matches(db_session, match_query.query_for_case(case))
    assert all("fair spread" not in reason for m in patient_facing for reason in m.reasons)


def test_the_listings_row_ids_come_from_the_index_and_else_from_the_database(
    db_session, demo_listings, monkeypatch
):
    """Kept with the index (no query a case); a listing the entry lacks is asked for."""
    case = _case(db_session, diagnosis_type="pleural", zip="60601")
    match_query.record_case_matches(db_session, case.id)
    kept = [(m.specialist_id, m.rank) for m in db_session.scalars(select(CaseMatch))]
    entry = match_query._cache["entry"]
    rows = dict(db_session.execute(select(Specialist.listing_id, Specialist.id)).all())
    assert entry.specialist_ids and all(rows[k] == v for k, v in entry.specialist_ids.items())
    # an entry without them (rebuilt between the ranking and the record): the same rows
    monkeypatch.setitem(match_query._cache, "entry", entry._replace(specialist_ids={}))
    match_query.record_case_matches(db_session, case.id)
    assert [(m.specialist_id, m.rank) for m in db_session.scalars(select(CaseMatch))] == kept
