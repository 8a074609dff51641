"""Feed the pure matching engine from the database, and record matches on cases.

Listings are loaded once into an in-memory ``ListingIndex`` per process and
rebuilt when the listings change (a count/max(updated_at) check, made at most
every ``RECHECK_SECONDS``: at 100k listings it costs far more than ranking)
or when the referral counts behind the fair-spread lift are older than
``REFERRALS_TTL``.  bench/match.py measures the index against a full scan,
bench/match_api.py the whole request.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, scoped_session

from intake.matching import geo
from intake.matching.index import ListingIndex
from intake.matching.types import (
    SUPPORTIVE_SPECIALTIES,
    TREATING_SPECIALTIES,
    TREATMENTS,
    Listing,
    Match,
    MatchQuery,
    format_display_name,
)
from intake.matching.wording import ENGLISH, Wording
from intake.models.base import utcnow
from intake.models.contact import Case
from intake.models.specialist import CaseMatch, Specialist

# Flask-SQLAlchemy's db.session is a scoped_session proxying a Session.
AnySession = Session | scoped_session[Any]

REFERRALS_TTL = 300.0
RECHECK_SECONDS = 2.0  # how stale another process's listing edit may be seen here
REFERRAL_WINDOW = timedelta(days=30)
REFERRAL_TOP_RANKS = 3
CASE_MATCH_LIMIT = 5


class _Entry(NamedTuple):
    """The cached index and when it was built and last found current."""

    version: tuple[Any, ...]
    built_at: float
    checked_at: float
    listing_index: ListingIndex
    specialist_ids: dict[str, int]  # each listing's row id, for recording matches


_lock = threading.Lock()
_cache: dict[str, _Entry] = {}


_COLUMNS = (
    Specialist.id, Specialist.listing_id, Specialist.first_name, Specialist.last_name,
    Specialist.credentials, Specialist.specialty, Specialist.institution, Specialist.city,
    Specialist.state, Specialist.zip, Specialist.lat, Specialist.lon, Specialist.cancer_types,
    Specialist.treatments, Specialist.accepts_va, Specialist.accepting_new_patients,
    Specialist.telehealth, Specialist.languages, Specialist.active, Specialist.phone,
    Specialist.website,
)  # fmt: skip


def to_listing(specialist: Any, recent_referrals: int = 0) -> Listing:
    """A database row (a Specialist or a row of ``_COLUMNS``) as the engine's plain value."""
    return Listing(
        listing_id=specialist.listing_id,
        name=format_display_name(
            specialist.first_name, specialist.last_name, specialist.credentials or ""
        ),
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
        phone=specialist.phone or "",
        website=specialist.website or "",
        active=specialist.active,
        recent_referrals=recent_referrals,
    )


def _listings_version(session: AnySession) -> tuple[Any, ...]:
    count, latest = session.execute(
        select(func.count(Specialist.id), func.max(Specialist.updated_at))
    ).one()
    # .engine: the bind may be a Connection (tests pin one), which has no url of its own
    return (str(session.get_bind().engine.url), count, latest)


def recent_referrals(session: AnySession) -> dict[int, int]:
    """How often each specialist was a top match in the last 30 days (fair spread)."""
    since = utcnow() - REFERRAL_WINDOW
    rows = session.execute(
        select(CaseMatch.specialist_id, func.count())
        .where(CaseMatch.created_at >= since, CaseMatch.rank <= REFERRAL_TOP_RANKS)
        .group_by(CaseMatch.specialist_id)
    )
    return {specialist_id: count for specialist_id, count in rows}


def _recheck_seconds() -> float:
    """Tests see every change at once; a server re-checks at most every RECHECK_SECONDS."""
    if not has_app_context():
        return 0.0
    default = 0.0 if current_app.testing else RECHECK_SECONDS
    return float(current_app.config.get("MATCH_INDEX_RECHECK_SECONDS", default))


def _build(session: AnySession) -> tuple[ListingIndex, dict[str, int]]:
    """Read the active listings as plain rows (ORM objects cost 3x more at 100k).

    Those not accepting new patients are never matched, but the index counts them
    in the institution's team that a second opinion looks for.
    """
    referrals = recent_referrals(session)
    rows = session.execute(select(*_COLUMNS).where(Specialist.active.is_(True))).all()
    index = ListingIndex(to_listing(row, referrals.get(row.id, 0)) for row in rows)
    return index, {row.listing_id: row.id for row in rows}


def current_index(session: AnySession) -> ListingIndex:
    """The process's index, rebuilt when listings changed or referral counts went stale."""
    now = time.monotonic()
    cached = _cache.get("entry")
    if cached is not None and now - cached.built_at >= REFERRALS_TTL:
        cached = None
    if cached is not None and now - cached.checked_at < _recheck_seconds():
        return cached.listing_index
    version = _listings_version(session)
    if cached is not None and cached.version == version:
        _cache["entry"] = cached._replace(checked_at=now)
        return cached.listing_index
    with _lock:
        cached = _cache.get("entry")  # another thread may have built it while we waited
        if cached is not None and cached.version == version and cached.built_at >= now:
            return cached.listing_index
        index, ids = _build(session)
        _cache["entry"] = _Entry(version, now, now, index, ids)
    return index


def invalidate() -> None:
    """Forget the cached index (tests; the version check covers normal edits)."""
    _cache.clear()


def find_matches(session: AnySession, query: MatchQuery) -> list[Match]:
    """Ranked matches for a patient; raises QueryError for bad input."""
    return current_index(session).rank(query)


# The kinds of listing a page may ask for the nearest of (an empty section names it).
_KINDS = {
    "treating": lambda item, tier: item.specialty in TREATING_SPECIALTIES,
    "supportive": lambda item, tier: item.specialty in SUPPORTIVE_SPECIALTIES,
    "first_tier": lambda item, tier: tier == 1,
}


def nearest(session: AnySession, query: MatchQuery, kind: str) -> tuple[Listing, float] | None:
    """The nearest listing of a kind (``_KINDS``) the query admits, at any distance; its miles."""
    return current_index(session).nearest(query, _KINDS[kind])


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


def record_case_matches(session: AnySession, case_id: int) -> int:
    """Store the case's current top matches with reasons, replacing older ones; returns how many."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        return 0
    query = query_for_case(case)
    if query is None:
        return 0
    matches = find_matches(session, query)
    ids = _specialist_ids(session, [m.listing.listing_id for m in matches])
    session.execute(delete(CaseMatch).where(CaseMatch.case_id == case_id))
    rows = [
        {
            "case_id": case_id,
            "specialist_id": ids[match.listing.listing_id],
            "rank": rank,
            "distance_miles": match.distance_miles,
            "score": match.score,
            "tier": match.tier,
            # staff see every reason, the fair-spread tie-breaker included
            "reasons": [*match.reasons, *([match.staff_note] if match.staff_note else [])],
            "summary": "; ".join(match.reasons),
        }
        for rank, match in enumerate(matches, start=1)
    ]
    if rows:  # one bulk INSERT (the columns' sealing applies as to any insert), no unit of work
        session.execute(insert(CaseMatch), rows)
    return len(matches)


def _specialist_ids(session: AnySession, listing_ids: list[str]) -> dict[str, int]:
    """The row ids of these listings: from the index's entry, asked of the database if not there.

    Why kept: a backlog records the matches of thousands of cases, and this
    was a query for each.
    """
    entry = _cache.get("entry")
    known = entry.specialist_ids if entry is not None else {}
    ids = {listing_id: known[listing_id] for listing_id in listing_ids if listing_id in known}
    missing = [listing_id for listing_id in listing_ids if listing_id not in ids]
    if missing:  # the index was rebuilt (or forgotten) since the ranking: ask
        rows = session.execute(
            select(Specialist.listing_id, Specialist.id).where(Specialist.listing_id.in_(missing))
        )
        ids.update({listing_id: row_id for listing_id, row_id in rows})
    return ids


# --- What the API and the CLI print ---


def match_as_dict(match: Match, words: Wording = ENGLISH) -> dict[str, Any]:
    """One result as the API and the CLI print it, its reasons in ``words``' language."""
    item = match.listing
    return {
        "listing_id": item.listing_id,
        "name": item.name,
        "institution": item.institution,
        "city": item.city,
        "state": item.state,
        "zip": item.zip,
        "distance_miles": match.distance_miles,
        "score": match.score,
        "tier": match.tier,
        "section": match.section,
        "reasons": list(words.reasons(match.why)),
        "specialty": item.specialty,
        "treatments": [t for t in TREATMENTS if t in item.treatments],
        "telehealth": item.telehealth,
        "accepts_va": item.accepts_va,
        "phone": item.phone or None,
        "website": item.website or None,
        "languages": sorted(item.languages),
        # the fair-spread tie-breaker is for staff, never a reason given to a patient
        "lifts": [lift for lift in match.lifts if lift != "fair_spread"],
        # the same reasons as codes and the facts they name, for programs that word their own
        "reason_codes": [{"code": r.code, **r.values()} for r in match.why],
    }


def matches_payload(
    query: MatchQuery, matches: list[Match], words: Wording = ENGLISH
) -> dict[str, Any]:
    """The whole answer: the query as understood, how many results, and the results."""
    return {
        "query": {
            "zip": query.zip,
            "cancer_type": query.cancer_type,
            "stage": query.stage,
            "cell_type": query.cell_type,
            "veteran": query.veteran,
            "language": query.language,
            "telehealth": query.telehealth_ok,
            "max_miles": query.max_miles,
            "limit": query.limit,
            "need": query.need,
        },
        "count": len(matches),
        "results": [match_as_dict(m, words) for m in matches],
    }
