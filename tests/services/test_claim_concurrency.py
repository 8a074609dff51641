"""50 advocates pressing "claim next" at once on PostgreSQL: every item claimed exactly once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import QueueItem
from intake.services import claims
from tests.services.test_queue import MONDAY_10_NY, advocate, ask

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
