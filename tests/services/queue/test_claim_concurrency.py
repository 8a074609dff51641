"""50 advocates pressing "claim next" at once on PostgreSQL: every item claimed exactly once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import QueueItem
from intake.services.queue import claims
from tests.services.queue.test_queue import MONDAY_10_NY, advocate, ask

pytestmark = pytest.mark.committed

ITEMS, ADVOCATES = 1000, 50


def test_fifty_advocates_claim_a_thousand_items_each_exactly_once(app, committed_db):
    from sqlalchemy import create_engine

    from intake.extensions import db

    # one connection per advocate, as 50 web requests would have across gunicorn workers
    engine = create_engine(db.engine.url, pool_size=ADVOCATES, max_overflow=0)

    for _ in range(ITEMS):
        ask(committed_db)
    team = [advocate(committed_db) for _ in range(ADVOCATES)]
    committed_db.commit()
    team_ids = [who.id for who in team]
    claimed: dict[int, list[int]] = {who: [] for who in team_ids}
    errors: list[BaseException] = []
    barrier = threading.Barrier(ADVOCATES, timeout=60)

    def work(who_id: int) -> None:
        try:
            with app.app_context(), Session(engine) as session:
                from intake.models import User

                who = session.get(User, who_id)
                barrier.wait()
                while True:
                    item = claims.claim_next(session, who, MONDAY_10_NY).item
                    session.commit()
                    if item is None:
                        return
                    claimed[who_id].append(item.id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(who,)) for who in team_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    engine.dispose()
    assert not errors, errors[:3]
    every = [item_id for ids in claimed.values() for item_id in ids]
    assert len(every) == ITEMS and len(set(every)) == ITEMS  # none twice, none missed
    assert sum(1 for ids in claimed.values() if ids) > ADVOCATES // 2  # they really competed
    committed_db.expire_all()
    held = committed_db.scalar(
        select(func.count()).select_from(QueueItem).where(QueueItem.status == "claimed")
    )
    assert held == ITEMS


def _held(session: Session, who_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.status == "claimed", QueueItem.claimed_by_id == who_id)
        )
    )


def test_a_second_press_waits_for_the_first_and_then_finds_the_cap(app, committed_db):
    """Two presses by one advocate: the second, while the first is uncommitted, must not count
    the claims as they were before it (that left an advocate holding two calls at a cap of 1)."""
    from sqlalchemy import create_engine

    from intake.extensions import db
    from intake.models import User

    for _ in range(3):
        ask(committed_db)
    who_id = advocate(committed_db).id
    committed_db.commit()
    engine = create_engine(db.engine.url, pool_size=2, max_overflow=0)
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
        thread.join(1.0)
        waited = thread.is_alive()  # held up by the advocate's row, locked by the first press
        first.commit()
    thread.join(30)
    engine.dispose()
    assert not errors, errors
    assert second[0].item is None and second[0].at_cap
    assert waited
    committed_db.expire_all()
    assert _held(committed_db, who_id) == 1


def test_ten_presses_at_once_by_one_advocate_claim_one_call(app, committed_db):
    from sqlalchemy import create_engine

    from intake.extensions import db
    from intake.models import User

    presses = 10
    for _ in range(presses):
        ask(committed_db)
    who_id = advocate(committed_db).id
    committed_db.commit()
    engine = create_engine(db.engine.url, pool_size=presses, max_overflow=0)
    got: list[claims.Claim] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(presses, timeout=60)

    def press() -> None:
        try:
            with app.app_context(), Session(engine) as session:
                who = session.get(User, who_id)
                barrier.wait()
                got.append(claims.claim_next(session, who, MONDAY_10_NY, max_open=1))
                session.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.dispose()
    assert not errors, errors[:3]
    assert sum(1 for claim in got if claim.item is not None) == 1
    assert sum(1 for claim in got if claim.at_cap) == presses - 1
    committed_db.expire_all()
    assert _held(committed_db, who_id) == 1
