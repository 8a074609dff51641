"""Claim-next in the embedded mode: the one-statement claim runs on SQLite as on PostgreSQL.

SQLite has no row locks (``SKIP LOCKED`` is left out there): the UPDATE's own
guard (only while the item still waits) and SQLite's one writer at a time
keep a claim whole.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from intake.models import ConsentRecord, QueueItem
from intake.models.base import Base
from intake.models.queue import CANCELLED, CLAIMED, QUEUED
from tests.services.queue.test_queue import MONDAY_10_NY, advocate, ask, claim


@pytest.fixture
def sqlite_session(app, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'intake.sqlite3'}")

    @event.listens_for(engine, "connect")
    def _foreign_keys(dbapi, _record):
        dbapi.execute("PRAGMA foreign_keys = ON")

    Base.metadata.create_all(engine)
    with app.app_context(), Session(engine) as session:
        yield session
    engine.dispose()


def test_claim_order_skills_and_the_claim_itself_on_sqlite(sqlite_session):
    session = sqlite_session
    spanish = ask(session, language="es")
    urgent = ask(session, stage="4")
    plain = ask(session)
    session.commit()
    anyone, speaker = advocate(session), advocate(session, ["es"])

    assert claim(session, speaker).id == spanish.id
    first = claim(session, anyone)
    assert first.id == urgent.id
    assert (first.status, first.claimed_by_id) == (CLAIMED, anyone.id)
    assert first.lease_expires_at > MONDAY_10_NY
    assert claim(session, anyone).id == plain.id
    assert claim(session, anyone) is None


def test_revoked_consent_and_a_closed_window_on_sqlite(sqlite_session):
    session = sqlite_session
    revoked, late = ask(session), ask(session, state="HI")
    for record in session.query(ConsentRecord).filter_by(covers_hash=revoked.consent_hash):
        record.revoked_at = MONDAY_10_NY
    session.commit()
    who = advocate(session)
    # 10:00 in New York is 5:00 in Honolulu: Hawaii's item waits for its 8:00
    assert claim(session, who) is None
    assert session.get(QueueItem, revoked.id).status == CANCELLED
    waiting = session.get(QueueItem, late.id)
    assert waiting.status == QUEUED and waiting.claimed_by_id is None
    assert waiting.callable_from > MONDAY_10_NY
    later = waiting.callable_from + timedelta(minutes=1)
    assert claim(session, who, later).id == late.id


def test_a_second_press_by_the_same_advocate_finds_the_cap_on_sqlite(app, tmp_path):
    """No row locks: the press that waits for SQLite's writer counts the claims in its UPDATE.

    The second press reads the count before the first commits (0 held), then
    waits for the write lock; its UPDATE must count again, or the advocate
    would hold two calls at a cap of 1.
    """
    import threading

    from intake.models import User
    from intake.services.queue import claims

    engine = create_engine(f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    Base.metadata.create_all(engine)
    with app.app_context(), Session(engine) as setup:
        for _ in range(3):
            ask(setup)
        who_id = advocate(setup).id
        setup.commit()
    second: list[claims.Claim] = []
    errors: list[BaseException] = []

    def press_again() -> None:
        try:
            with app.app_context(), Session(engine) as session:
                who = session.get(User, who_id)
                second.append(claims.claim_next(session, who, MONDAY_10_NY, max_open=1))
                session.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    with app.app_context(), Session(engine) as first:
        who = first.get(User, who_id)
        assert claims.claim_next(first, who, MONDAY_10_NY, max_open=1).item is not None
        thread = threading.Thread(target=press_again)
        thread.start()
        thread.join(1.0)  # it read 0 held and now waits for the write lock
        first.commit()
    thread.join(30)
    assert not errors, errors
    assert second[0].item is None and second[0].at_cap
    with Session(engine) as check:
        held = check.query(QueueItem).filter_by(status=CLAIMED, claimed_by_id=who_id).count()
    engine.dispose()
    assert held == 1
