"""Feed the pure matching engine from the database, and record matches on cases.

Listings are loaded once into an in-memory ``ListingIndex`` per process and
rebuilt when the listings change (a cheap count/max(updated_at) check per
query) or when the referral counts behind the fair-spread lift are older
than ``REFERRALS_TTL``.  bench/match.py measures this choice against a
full scan.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.matching import geo
from intake.matching.index import ListingIndex
from intake.matching.types import Listing, Match, MatchQuery, format_display_name
from intake.models.base import utcnow
from intake.models.contact import Case
from intake.models.specialist import CaseMatch, Specialist

REFERRALS_TTL = 300.0
REFERRAL_WINDOW = timedelta(days=30)
REFERRAL_TOP_RANKS = 3
CASE_MATCH_LIMIT = 5

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def to_listing(specialist: Specialist, recent_referrals: int = 0) -> Listing:
    """A database row as the engine's plain value."""
    return Listing(
        listing_id=specialist.listing_id,
        name=format_display_name(specialist.first_name, specialist.last_name, specialist.credentials or ""),
        specialty=specialist.specialty,
        institution=specialist.institution,
        city=specialist.city,
        state=specialist.state,
        zip=specialist.zip,
        lat=specialist.lat,
        lon=specialist.lon,
        cancer_types=frozenset(specialist.cancer_types),
        treatments=frozenset(specialist.treatments),
        accepts_va=specialist.accepts_va,
        accepting_new_patients=specialist.accepting_new_patients,
        telehealth=specialist.telehealth,
        languages=frozenset(specialist.languages),
        active=specialist.active,
        recent_referrals=recent_referrals,
    )


def _listings_version(session: Session) -> tuple[Any, ...]:
    count, latest = session.execute(
        select(func.count(Specialist.id), func.max(Specialist.updated_at))
    ).one()
    return (str(session.get_bind().url), count, latest)


def recent_referrals(session: Session) -> dict[int, int]:
    """How often each specialist was a top match in the last 30 days (fair spread)."""
    since = utcnow() - REFERRAL_WINDOW
    rows = session.execute(
        select(CaseMatch.specialist_id, func.count())
        .where(CaseMatch.created_at >= since, CaseMatch.rank <= REFERRAL_TOP_RANKS)
        .group_by(CaseMatch.specialist_id)
    )
    return {specialist_id: count for specialist_id, count in rows}


def current_index(session: Session) -> ListingIndex:
    """The process's index, rebuilt when listings changed or referral counts went stale."""
    version = _listings_version(session)
    now = time.monotonic()
    cached = _cache.get("entry")
    if cached and cached[0] == version and now - cached[1] < REFERRALS_TTL:
        return cached[2]  # type: ignore[no-any-return]
    with _lock:
        referrals = recent_referrals(session)
        specialists = session.scalars(
            select(Specialist).where(Specialist.active.is_(True), Specialist.accepting_new_patients.is_(True))
        ).all()
        index = ListingIndex(to_listing(s, referrals.get(s.id, 0)) for s in specialists)
        _cache["entry"] = (version, now, index)
    return index


def invalidate() -> None:
    """Forget the cached index (tests; the version check covers normal edits)."""
    _cache.clear()


def find_matches(session: Session, query: MatchQuery) -> list[Match]:
    """Ranked matches for a patient; raises QueryError for bad input."""
    return current_index(session).rank(query)


def query_for_case(case: Case, limit: int = CASE_MATCH_LIMIT) -> MatchQuery | None:
    """The match query a case's facts allow, or None without a diagnosis type and ZIP."""
    if not case.diagnosis_type or not case.zip or geo.lookup(case.zip) is None:
        return None
    return MatchQuery(
        zip=case.zip,
        cancer_type=case.diagnosis_type,
        stage=case.stage or "not_sure",
        cell_type=case.cell_type or "not_sure",
        veteran=bool(case.veteran),
        telehealth_ok=True,
        limit=limit,
    )


def record_case_matches(session: Session, case_id: int) -> int:
    """Store the case's current top matches with reasons (replacing older ones); returns how many."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        return 0
    query = query_for_case(case)
    if query is None:
        return 0
    matches = find_matches(session, query)
    ids = dict(
        session.execute(
            select(Specialist.listing_id, Specialist.id).where(
                Specialist.listing_id.in_([m.listing.listing_id for m in matches])
            )
        ).all()
    )
    session.execute(delete(CaseMatch).where(CaseMatch.case_id == case_id))
    for rank, match in enumerate(matches, start=1):
        session.add(
            CaseMatch(
                case_id=case_id,
                specialist_id=ids[match.listing.listing_id],
                rank=rank,
                distance_miles=match.distance_miles,
                score=match.score,
                reasons=list(match.reasons),
                summary="; ".join(match.reasons),
            )
        )
    session.flush()
    return len(matches)
