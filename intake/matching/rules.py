"""Specialist ranking: hard filters, a distance score, named lifts and plain-language reasons.

The public contract is PRODUCT.md section 3.  The score is

    100 / (1 + miles / 50)                      nearer is always higher
    + telehealth softening beyond travel range  (never makes farther beat nearer)
    + stage_fit, cell_type, va, language        fixed points when they apply
    + fair_spread                               at most 1 point, fewer recent referrals

Every term that depends on distance is non-increasing in it, so moving a listing
nearer can only raise it.  Lifts matter more between far listings than near ones:
once everything is a flight or a video visit away, fit counts more than miles.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from operator import itemgetter

from intake.matching import geo
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CANCER_TYPE_LABELS,
    CANCER_TYPES,
    CELL_TYPE_CHOICES,
    CELL_TYPE_LABELS,
    CELL_TYPES,
    HARD_CELL_TYPE_TREATMENTS,
    HARD_CELL_TYPES,
    LANGUAGE_LABELS,
    LATE_STAGE_TREATMENTS,
    NOT_SURE,
    SPECIALTIES,
    SPECIALTY_LABELS,
    STAGE_CHOICES,
    STAGE_LABELS,
    STAGES,
    SURGERIES,
    SURGERIES_BY_CANCER_TYPE,
    TREATMENT_LABELS,
    TREATMENTS,
    Listing,
    Match,
    MatchQuery,
    QueryError,
    format_display_name,
    language_label,
)
from intake.matching.validation import MAX_LIMIT, query_errors, validate_query

__all__ = [
    "CANCER_TYPES", "CANCER_TYPE_CHOICES", "CANCER_TYPE_LABELS", "CELL_TYPES",
    "CELL_TYPE_CHOICES", "CELL_TYPE_LABELS", "LANGUAGE_LABELS", "NOT_SURE", "SPECIALTIES",
    "SPECIALTY_LABELS", "STAGES", "STAGE_CHOICES", "STAGE_LABELS", "TREATMENTS",
    "TREATMENT_LABELS", "Listing", "Match", "MatchQuery", "Plan", "QueryError",
    "MAX_LIMIT", "distance_points", "format_display_name", "language_label", "plan_query",
    "query_errors", "rank", "validate_query",
]  # fmt: skip

DISTANCE_SCALE_MILES = 50.0
STAGE_FIT_POINTS = 8.0
CELL_TYPE_POINTS = 3.0
VA_POINTS = 6.0
LANGUAGE_POINTS = 8.0
FAIR_SPREAD_POINTS = 1.0
FAIR_SPREAD_REFERRALS = 10
TELEHEALTH_POINTS = 10.0
TELEHEALTH_TRAVEL_MILES = 100.0
_SCORE_ROUNDING = 0.01  # more than round(score, 2) can add

_SORT_KEY = itemgetter(0, 1, 2)
_radians = math.radians
_sin = math.sin
_sqrt = math.sqrt
_asin = math.asin
_TWO_R = 2 * geo.EARTH_RADIUS_MILES

# (score negated, miles, listing_id, listing): sorts best first with the contract's ties.
Scored = tuple[float, float, str, Listing]


def distance_points(miles: float) -> float:
    """Base score: 100 at the patient's ZIP, 50 at 50 miles, strictly decreasing for ever."""
    return 100.0 / (1.0 + miles / DISTANCE_SCALE_MILES)


def _fair_spread_points(recent_referrals: int) -> float:
    """Up to one point for specialists who have had few referrals lately."""
    return FAIR_SPREAD_POINTS * (1.0 - max(recent_referrals, 0) / FAIR_SPREAD_REFERRALS)


def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c': how the reasons list things."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _labels(values: Iterable[str]) -> list[str]:
    """Treatment labels in vocabulary order, so reasons never depend on set order."""
    chosen = set(values)
    return [TREATMENT_LABELS[t] for t in TREATMENTS if t in chosen]


class Plan:
    """A validated query turned into the constants the per-listing loop needs."""

    __slots__ = (
        "origin", "lon1", "phi1", "cos1", "cancer_type", "stage", "early", "stage_set",
        "cell_type", "cell_set", "veteran", "language", "telehealth_ok", "max_miles",
        "tele_threshold", "tele_base", "lift_max", "headroom", "limit", "prune_at", "surgeries",
    )  # fmt: skip

    def __init__(self, query: MatchQuery, origin: geo.ZipPoint) -> None:
        """Precompute once per query what every listing is compared with."""
        self.origin = origin
        self.lon1 = origin.lon
        self.phi1 = math.radians(origin.lat)
        self.cos1 = math.cos(self.phi1)
        self.cancer_type = None if query.cancer_type == NOT_SURE else query.cancer_type
        self.surgeries = SURGERIES_BY_CANCER_TYPE.get(query.cancer_type, SURGERIES)
        self.stage = query.stage
        self.early = query.stage in ("1", "2")
        late = query.stage in ("3", "4")
        self.stage_set = self.surgeries if self.early else (LATE_STAGE_TREATMENTS if late else None)
        self.cell_type = query.cell_type
        hard = query.cell_type in HARD_CELL_TYPES
        self.cell_set = HARD_CELL_TYPE_TREATMENTS if hard else None
        self.veteran = query.veteran
        self.language = None if query.language == "en" else query.language
        self.telehealth_ok = query.telehealth_ok
        self.max_miles = None if query.max_miles is None else float(query.max_miles)
        self.tele_threshold = self.max_miles or TELEHEALTH_TRAVEL_MILES
        self.tele_base = distance_points(self.tele_threshold)
        self.lift_max = self._lift_max()
        # distance_points(miles) + headroom bounds any score at that distance, rounding included
        self.headroom = self.lift_max + TELEHEALTH_POINTS * self.telehealth_ok + _SCORE_ROUNDING
        self.limit = query.limit
        self.prune_at = 2 * query.limit + 16

    def _lift_max(self) -> float:
        """The most non-distance points any listing could get for this query."""
        total = FAIR_SPREAD_POINTS
        total += STAGE_FIT_POINTS if self.stage_set else 0.0
        total += CELL_TYPE_POINTS if self.cell_set else 0.0
        total += VA_POINTS if self.veteran else 0.0
        return total + (LANGUAGE_POINTS if self.language else 0.0)

    def admits(self, item: Listing) -> bool:
        """The distance-free hard filters: active, accepting, treats the diagnosis."""
        if not (item.active and item.accepting_new_patients):
            return False
        return self.cancer_type is None or self.cancer_type in item.cancer_types

    def miles(self, phi2: float, cos_phi2: float, lon2: float) -> float:
        """geo.distance_miles from the patient, same float steps, with their trig precomputed."""
        dphi = phi2 - self.phi1
        dlmb = _radians(lon2 - self.lon1)
        a = _sin(dphi / 2) ** 2 + self.cos1 * cos_phi2 * _sin(dlmb / 2) ** 2
        return round(_TWO_R * _asin(min(1.0, _sqrt(a))), 1)

    def distance_part(self, miles: float, telehealth: bool) -> float:
        """Distance points, softened beyond travel range for video visits; non-increasing."""
        base = distance_points(miles)
        if telehealth and miles > self.tele_threshold:
            # Halfway back to the value at the threshold, capped: continuous and monotone.
            return min(base + TELEHEALTH_POINTS, 0.5 * self.tele_base + 0.5 * base)
        return base

    def score(self, item: Listing, miles: float) -> float | None:
        """Total points for an admitted listing at this distance, or None when it is too far."""
        tele = self.telehealth_ok and item.telehealth
        if self.max_miles is not None and miles > self.max_miles and not tele:
            return None
        points = self.distance_part(miles, tele)
        if self.stage_set and not self.stage_set.isdisjoint(item.treatments):
            points += STAGE_FIT_POINTS
        if self.cell_set and not self.cell_set.isdisjoint(item.treatments):
            points += CELL_TYPE_POINTS
        if self.veteran and item.accepts_va:
            points += VA_POINTS
        if self.language is not None and self.language in item.languages:
            points += LANGUAGE_POINTS
        if item.recent_referrals < FAIR_SPREAD_REFERRALS:
            points += _fair_spread_points(item.recent_referrals)
        return round(points, 2)

    def upper_bound(self, miles: float) -> float | None:
        """The best score any listing at least this far could reach, None if none qualifies."""
        if self.max_miles is not None and miles > self.max_miles and not self.telehealth_ok:
            return None
        return self.distance_part(miles, self.telehealth_ok) + self.lift_max

    def lifts(self, item: Listing, miles: float) -> tuple[str, ...]:
        """Machine names of the lifts score() added, in the order reasons explain them."""
        applied = []
        if self.stage_set and not self.stage_set.isdisjoint(item.treatments):
            applied.append("stage_fit")
        if self.cell_set and not self.cell_set.isdisjoint(item.treatments):
            applied.append("cell_type")
        if self.veteran and item.accepts_va:
            applied.append("va")
        if self.language is not None and self.language in item.languages:
            applied.append("language")
        if self.telehealth_ok and item.telehealth and miles > self.tele_threshold:
            applied.append("telehealth")
        if item.recent_referrals < FAIR_SPREAD_REFERRALS:
            applied.append("fair_spread")
        return tuple(applied)

    def facts(self, item: Listing, miles: float) -> list[str]:
        """What the listing is: the diagnosis it treats, its treatments, how far it is."""
        if self.cancer_type is not None:
            treats = [self.cancer_type]
        else:
            treats = [t for t in CANCER_TYPES if t in item.cancer_types]
        facts = [f"treats {_join(treats)} mesothelioma"] if treats else []
        surgery = _labels(self.surgeries & item.treatments)
        other = _labels(item.treatments - SURGERIES)
        if surgery:
            facts.append(f"performs {_join(surgery)}")
        if other:
            facts.append(f"offers {_join(other)}")
        facts.append(f"{miles:.1f} miles from {self.origin.zip}")
        return facts

    def lift_reason(self, lift: str, item: Listing, miles: float) -> str:
        """One plain sentence per lift, so every lift that applied is named."""
        if lift == "stage_fit":
            assert self.stage_set is not None
            offered = _join(_labels(self.stage_set & item.treatments))
            stage = STAGE_LABELS[self.stage]
            if self.early:
                return f"suits {stage}: offers surgery ({offered}), often considered at this stage"
            return f"suits {stage}: offers {offered}, the usual options at this stage"
        if lift == "cell_type":
            assert self.cell_set is not None
            offered = _join(_labels(self.cell_set & item.treatments))
            cell = CELL_TYPE_LABELS[self.cell_type]
            return f"offers {offered}, often considered for the {cell} cell type"
        if lift == "va":
            return "accepts VA benefits for veterans"
        if lift == "language":
            return f"offers care in {language_label(self.language or '')}"
        if lift == "telehealth":
            return f"offers video visits (telehealth), so you need not travel {miles:.0f} miles"
        return "has had few referrals from us recently, so we spread requests fairly"

    def explain(self, item: Listing, miles: float, score: float) -> Match:
        """Turn a chosen listing into a Match with its facts and one reason per lift."""
        lifts = self.lifts(item, miles)
        reasons = self.facts(item, miles) + [self.lift_reason(x, item, miles) for x in lifts]
        return Match(item, miles, score, tuple(reasons), lifts)

    def prune(self, scored: list[Scored]) -> tuple[list[Scored], float]:
        """Keep the best ``limit`` and return the lowest score still worth collecting.

        Scans call this whenever ``len(scored) >= self.prune_at`` so they never hold
        every candidate (a 100k-tuple list costs more in garbage collection than scoring).
        """
        best = heapq.nsmallest(self.limit, scored, key=_SORT_KEY)
        return best, -best[-1][0]

    def top(self, scored: list[Scored]) -> list[Match]:
        """Best `limit` by score, then nearer, then listing_id; explained only once chosen."""
        best = heapq.nsmallest(self.limit, scored, key=_SORT_KEY)
        return [self.explain(item, miles, -neg) for neg, miles, _, item in best]


def plan_query(query: MatchQuery, origin: geo.ZipPoint | None = None) -> Plan:
    """Validate a query (the ZIP too unless the caller already resolved it) and plan it."""
    if origin is None:
        origin = validate_query(query)
    else:
        errors = query_errors(query, check_zip=False)
        if errors:
            field, message = next(iter(errors.items()))
            raise QueryError(field, message)
    return Plan(query, origin)


def rank(
    query: MatchQuery, listings: Iterable[Listing], origin: geo.ZipPoint | None = None
) -> list[Match]:
    """Rank listings for a patient by the section 3 rules, scanning every listing."""
    plan = plan_query(query, origin)
    miles_of, score_of, cos, radians = plan.miles, plan.score, math.cos, math.radians
    cancer_type, prune_at, headroom = plan.cancer_type, plan.prune_at, plan.headroom
    scored: list[Scored] = []
    floor = -math.inf  # scores below the current limit-th best cannot make the list
    for item in listings:
        if not (item.active and item.accepting_new_patients):
            continue
        if cancer_type is not None and cancer_type not in item.cancer_types:
            continue
        phi2 = radians(item.lat)
        miles = miles_of(phi2, cos(phi2), item.lon)
        if distance_points(miles) + headroom < floor:
            continue  # too far to reach the list whatever its lifts: skip scoring it
        score = score_of(item, miles)
        if score is not None and score >= floor:
            scored.append((-score, miles, item.listing_id, item))
            if len(scored) >= prune_at:
                scored, floor = plan.prune(scored)
    return plan.top(scored)
