"""Specialist ranking: hard filters, tiers by stage and need, reach, lifts and plain reasons.

The public contract is PRODUCT.md section 3.  Each qualifying listing gets a
tier for the case and need (``tiers.py``: 1 is what the need asks for first;
1-3 for treatment and palliative, 1-4 for clinical_trial and second_opinion)
and one score that sorts the results:

    within reach:  TIER_BASE[tier] + distance_part(miles) + lifts
    beyond reach:  BEYOND_TIER_POINTS[tier] + BEYOND_DISTANCE_WEIGHT * distance_points(miles)
                   + lifts

    distance_points(miles) = 100 / (1 + miles / 50)      nearer is always higher
    distance_part          = distance_points, softened for video visits past the
                             patient's travel range (never makes farther beat nearer)
    lifts                  = cell type 100 (immunotherapy, for sarcomatoid and biphasic)
                             + VA 6 + language 8 points when they apply,
                             + fair spread (at most 1 point: a near-tie breaker)

Reach is the patient's travel limit, or REACH_MILES when none is set; a listing
offering telehealth is within reach of a patient who accepts telehealth.  The
tier bases are 1,000 points apart and everything else adds less than 300, so
within reach the lower tier always ranks first; every beyond-reach score is
below every within-reach one, and beyond reach the tier points (20 apart) are
small beside the tripled distance points: there, distance weighs more and tiers
blend.  Every term that depends on distance is non-increasing in it, so
moving a listing nearer can only raise it.

Each result also carries its ``section``: ``best`` or ``support`` within the
distance (supportive care is ``support`` unless the need is palliative),
``video`` past it but reachable by telehealth, ``farther`` beyond reach.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from operator import itemgetter

from intake.matching import geo, reasons, tiers
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
    NOT_SURE,
    SPECIALTIES,
    SPECIALTY_LABELS,
    STAGE_CHOICES,
    STAGE_LABELS,
    STAGES,
    SUPPORTIVE_SPECIALTIES,
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
    "TREATMENT_LABELS", "Listing", "Match", "MatchQuery", "Plan", "QueryError", "REACH_MILES",
    "MAX_LIMIT", "distance_points", "format_display_name", "language_label", "plan_query",
    "query_errors", "rank", "validate_query",
]  # fmt: skip

DISTANCE_SCALE_MILES = 50.0
REACH_MILES = 500.0
TIER_BASE = {1: 4000.0, 2: 3000.0, 3: 2000.0, 4: 1000.0}
BEYOND_TIER_POINTS = {1: 60.0, 2: 40.0, 3: 20.0, 4: 0.0}
BEYOND_DISTANCE_WEIGHT = 3.0
# Immunotherapy for sarcomatoid and biphasic is usually the first treatment: the lift is
# worth the whole distance range, so within a tier (within reach) it comes first.
CELL_TYPE_POINTS = 100.0
VA_POINTS = 6.0
LANGUAGE_POINTS = 8.0
FAIR_SPREAD_POINTS = 1.0
FAIR_SPREAD_REFERRALS = 10
TELEHEALTH_POINTS = 10.0
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


class Plan:
    """A validated query turned into the constants the per-listing loop needs."""

    __slots__ = (
        "origin", "lon1", "phi1", "cos1", "cancer_type", "query_type", "stage", "need", "care",
        "cell_type", "cell_set", "veteran", "language", "telehealth_ok", "max_miles", "reach",
        "tele_base", "lift_max", "limit", "prune_at", "teams",
    )  # fmt: skip

    def __init__(
        self, query: MatchQuery, origin: geo.ZipPoint, teams: frozenset[tiers.Team] = frozenset()
    ) -> None:
        """Precompute once per query what every listing is compared with."""
        self.origin = origin
        self.lon1 = origin.lon
        self.phi1 = math.radians(origin.lat)
        self.cos1 = math.cos(self.phi1)
        self.query_type = query.cancer_type
        self.cancer_type = None if query.cancer_type == NOT_SURE else query.cancer_type
        self.stage = query.stage
        self.need = query.need
        self.care = tiers.stage_care(query.cancer_type, query.stage)
        self.cell_type = query.cell_type
        hard = query.cell_type in HARD_CELL_TYPES
        self.cell_set = HARD_CELL_TYPE_TREATMENTS if hard else None
        self.veteran = query.veteran
        self.language = None if query.language == "en" else query.language
        self.telehealth_ok = query.telehealth_ok
        self.max_miles = None if query.max_miles is None else float(query.max_miles)
        self.reach = self.max_miles or REACH_MILES
        self.tele_base = distance_points(self.reach)
        self.lift_max = self._lift_max()
        self.limit = query.limit
        self.prune_at = 2 * query.limit + 16
        # (place, type) pairs with a team; only a second opinion looks at them
        self.teams = teams if query.need == "second_opinion" else frozenset()

    def _lift_max(self, cell_lift: bool = True) -> float:
        """The most lift points a listing could get for this query (rounding included).

        ``cell_lift=False``: for listings known to lack the cell type's treatment.
        """
        total = FAIR_SPREAD_POINTS + _SCORE_ROUNDING
        total += CELL_TYPE_POINTS if self.cell_set and cell_lift else 0.0
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
        """Distance points, softened past the reach for video visits; non-increasing."""
        base = distance_points(miles)
        if telehealth and miles > self.reach:
            # Halfway back to the value at the reach, capped: continuous and monotone.
            return min(base + TELEHEALTH_POINTS, 0.5 * self.tele_base + 0.5 * base)
        return base

    def team_types(self, item: Listing) -> tuple[str, ...]:
        """The types a team at the listing's institution treats (second opinion only)."""
        return tiers.team_types(item, self.teams, self.cancer_type)

    def tier(self, item: Listing) -> int:
        """The listing's tier for this case and need."""
        on_team = bool(self.teams) and bool(self.team_types(item))
        return tiers.tier_of(item, self.need, self.care, on_team)

    def section(self, item: Listing, miles: float) -> str:
        """Where the result sits: within the distance, by video past it, or farther."""
        if miles <= self.reach:
            supportive = item.specialty in SUPPORTIVE_SPECIALTIES
            return "support" if supportive and self.need != "palliative" else "best"
        return "video" if self.telehealth_ok and item.telehealth else "farther"

    def score(self, item: Listing, miles: float) -> float | None:
        """Total points for an admitted listing at this distance, or None when it is too far."""
        tele = self.telehealth_ok and item.telehealth
        if self.max_miles is not None and miles > self.max_miles and not tele:
            return None
        tier = self.tier(item)
        if miles <= self.reach or tele:
            points = TIER_BASE[tier] + self.distance_part(miles, tele)
        else:
            points = BEYOND_TIER_POINTS[tier] + BEYOND_DISTANCE_WEIGHT * distance_points(miles)
        if self.cell_set and not self.cell_set.isdisjoint(item.treatments):
            points += CELL_TYPE_POINTS
        if self.veteran and item.accepts_va:
            points += VA_POINTS
        if self.language is not None and self.language in item.languages:
            points += LANGUAGE_POINTS
        if item.recent_referrals < FAIR_SPREAD_REFERRALS:
            points += _fair_spread_points(item.recent_referrals)
        return round(points, 2)

    def upper_bound(
        self, miles: float, tier: int = 1, lift_max: float | None = None
    ) -> float | None:
        """The best score any listing at least this far could reach, None if none qualifies.

        ``tier`` and ``lift_max`` (see ``group_bound``) tighten it for a group of listings.
        """
        lift = self.lift_max if lift_max is None else lift_max
        if self.max_miles is not None and miles > self.max_miles and not self.telehealth_ok:
            return None
        if miles <= self.reach or self.telehealth_ok:
            return TIER_BASE[tier] + self.distance_part(miles, self.telehealth_ok) + lift
        best = BEYOND_TIER_POINTS[tier] + BEYOND_DISTANCE_WEIGHT * distance_points(miles)
        return best + lift

    def group_bound(self, cell_lift: bool, on_team: bool) -> tuple[int, float]:
        """The best tier and most lift for listings with or without the cell type's treatment
        and a team for the type (as ``team_types`` finds it): what ``upper_bound`` may assume.
        """
        tier = 2 if self.need == "second_opinion" and not on_team else 1
        return tier, self._lift_max(cell_lift)

    def lifts(self, item: Listing, miles: float) -> tuple[str, ...]:
        """Machine names of what helps this listing, in the order reasons explain them."""
        applied = []
        if self.cell_set and not self.cell_set.isdisjoint(item.treatments):
            applied.append("cell_type")
        if self.telehealth_ok and item.telehealth:
            applied.append("telehealth")
        if self.veteran and item.accepts_va:
            applied.append("va")
        if self.language is not None and self.language in item.languages:
            applied.append("language")
        if item.recent_referrals < FAIR_SPREAD_REFERRALS:
            applied.append("fair_spread")
        return tuple(applied)

    def explain(self, item: Listing, miles: float, score: float) -> Match:
        """Turn a chosen listing into a Match: its tier and the reasons a patient can use."""
        tier = self.tier(item)
        lifts = self.lifts(item, miles)
        fit = reasons.fit_reason(item, tier, self.need, self.query_type, self.stage, self.care)
        said = [fit]
        if tier == 1 and self.teams:
            said.append(reasons.team_reason(item, self.team_types(item)))
        said += [
            reasons.lift_reason(lift, self.cell_type, self.language)
            for lift in lifts
            if lift != "fair_spread"
        ]
        said.append(reasons.distance_reason(miles, self.origin.zip))
        within = miles <= self.reach or (self.telehealth_ok and item.telehealth)
        note = reasons.FAIR_SPREAD_NOTE if "fair_spread" in lifts else ""
        section = self.section(item, miles)
        return Match(item, miles, score, tuple(said), lifts, tier, within, note, section)

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


def plan_query(
    query: MatchQuery,
    origin: geo.ZipPoint | None = None,
    teams: frozenset[tiers.Team] = frozenset(),
) -> Plan:
    """Validate a query (the ZIP too unless the caller already resolved it) and plan it.

    ``teams`` (``tiers.teams_of`` the listings being ranked) matters to a second opinion.
    """
    if origin is None:
        origin = validate_query(query)
    else:
        errors = query_errors(query, check_zip=False)
        if errors:
            field, message = next(iter(errors.items()))
            raise QueryError(field, message)
    return Plan(query, origin, teams)


def rank(
    query: MatchQuery, listings: Iterable[Listing], origin: geo.ZipPoint | None = None
) -> list[Match]:
    """Rank listings for a patient by the section 3 rules, scanning every listing."""
    plan = plan_query(query, origin)
    if plan.need == "second_opinion":  # where the teams are, from the listings ranked
        listings = list(listings)
        plan.teams = tiers.teams_of(listings)
    miles_of, score_of, cos, radians = plan.miles, plan.score, math.cos, math.radians
    cancer_type, prune_at, bound_at = plan.cancer_type, plan.prune_at, plan.upper_bound
    scored: list[Scored] = []
    floor = -math.inf  # scores below the current limit-th best cannot make the list
    for item in listings:
        if not (item.active and item.accepting_new_patients):
            continue
        if cancer_type is not None and cancer_type not in item.cancer_types:
            continue
        phi2 = radians(item.lat)
        miles = miles_of(phi2, cos(phi2), item.lon)
        bound = bound_at(miles)
        if bound is None or bound < floor:
            continue  # too far to reach the list whatever its tier and lifts: skip scoring it
        score = score_of(item, miles)
        if score is not None and score >= floor:
            scored.append((-score, miles, item.listing_id, item))
            if len(scored) >= prune_at:
                scored, floor = plan.prune(scored)
    return plan.top(scored)
