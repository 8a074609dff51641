"""An in-memory spatial index that returns exactly what ``rules.rank`` returns, faster.

Built once from the listings: those that pass the distance-free hard filters
(active, accepting new patients) go into one lat/lon grid per diagnosis type
plus one for "not sure yet".  A query scores the cells within a radius that
grows until the ``limit``-th best score beats the best score anything outside
the radius could reach (``Plan.upper_bound``), or until every cell was scored.
Because the bound is safe and the scoring is the same code as ``rank``, the
result is identical to a full scan; only the work differs.  Where the directory
lists a team (a second opinion's tier 1) is worked out once, at build, from
every listing given, as ``rank`` works it out from the listings it scans.

Two things can lift a listing by a whole tier or the whole distance range: the
cell-type lift (immunotherapy, for sarcomatoid and biphasic) and, for a second
opinion, working where a team is.  One bound for all listings would assume both
everywhere and let the search stop only at the edge of reach.  So each bucket is
also gridded in groups, by whether its listings offer immunotherapy, are on a
team for the type, or both; a query that can use the split searches each group
with the bound of that group only (``Plan.group_bound``), most promising first,
into one shared top list: the same rule, tighter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence

from intake.matching import geo, tiers
from intake.matching.rules import Plan, Scored, plan_query
from intake.matching.types import (
    CANCER_TYPES,
    HARD_CELL_TYPE_TREATMENTS,
    NOT_SURE,
    Listing,
    Match,
    MatchQuery,
)

START_MILES = 10.0
GROWTH = 1.7
# Scores are rounded to 2 decimals and miles to 1: keep clear of both when bounding.
_MILES_SLACK = 0.1
_SCORE_SLACK = 0.01
_BOX_SLACK_MILES = 0.5
FULL_SCAN_BELOW = 200
_CELL_FACTOR = 80.0  # cell side in degrees = factor / sqrt(bucket size)

Entry = tuple[Listing, float, float]  # listing, latitude in radians, its cosine
Cell = tuple[int, int]
Bound = Callable[[float], float | None]
# How a bucket is split: (by the cell-type lift, by team), and a group's key within it.
Split = tuple[bool, bool]
Group = tuple[bool, bool]
SPLITS: tuple[Split, ...] = ((False, False), (True, False), (False, True), (True, True))


def _cell_degrees(count: int) -> float:
    """Grid resolution for a bucket: finer when denser, so each cell holds a few listings."""
    return min(5.0, max(0.1, _CELL_FACTOR / math.sqrt(max(count, 1))))


class _Grid:
    """One diagnosis bucket: listings by (floor(lat / side), floor(lon / side))."""

    __slots__ = ("side", "cells", "size", "full_scan_below")

    def __init__(self, entries: Sequence[Entry], side: float | None, full_scan_below: int) -> None:
        """Place each listing (with the trig distance needs precomputed) in its cell."""
        self.side = side or _cell_degrees(len(entries))
        self.size = len(entries)
        self.full_scan_below = full_scan_below
        cells: dict[Cell, list[Entry]] = {}
        for entry in entries:
            item = entry[0]
            key = (math.floor(item.lat / self.side), math.floor(item.lon / self.side))
            cells.setdefault(key, []).append(entry)
        self.cells: dict[Cell, tuple[Entry, ...]] = {k: tuple(v) for k, v in cells.items()}

    def _cells_near(self, origin: geo.ZipPoint, miles: float, seen: set[Cell]) -> list[Cell]:
        """Unscored cells that may hold a listing within ``miles`` of the origin."""
        box = geo.bounding_box(origin.lat, origin.lon, miles + _BOX_SLACK_MILES)
        if box is None:
            return [key for key in self.cells if key not in seen]
        i0, i1 = math.floor(box[0] / self.side), math.floor(box[1] / self.side)
        j0, j1 = math.floor(box[2] / self.side), math.floor(box[3] / self.side)
        if (i1 - i0 + 1) * (j1 - j0 + 1) > len(self.cells):
            return [
                key
                for key in self.cells
                if i0 <= key[0] <= i1 and j0 <= key[1] <= j1 and key not in seen
            ]
        cells = self.cells
        return [
            (i, j)
            for i in range(i0, i1 + 1)
            for j in range(j0, j1 + 1)
            if (i, j) in cells and (i, j) not in seen
        ]

    def _score(
        self, plan: Plan, keys: Iterable[Cell], scored: list[Scored], bound_at: Bound
    ) -> list[Scored]:
        """Add the listings of the given cells to ``scored`` (same steps as ``rank``)."""
        miles_of, score_of, cells, prune_at = plan.miles, plan.score, self.cells, plan.prune_at
        floor = -scored[-1][0] if len(scored) >= plan.limit else -math.inf
        for key in keys:
            for item, phi, cos_phi in cells[key]:
                miles = miles_of(phi, cos_phi, item.lon)
                bound = bound_at(miles)
                if bound is None or bound < floor:
                    continue
                score = score_of(item, miles)
                if score is not None and score >= floor:
                    scored.append((-score, miles, item.listing_id, item))
                    if len(scored) >= prune_at:
                        scored, floor = plan.prune(scored)
        # pruned (hence sorted best first) whenever it holds a full list
        return plan.prune(scored)[0] if len(scored) >= plan.limit else scored

    def nearest(
        self, plan: Plan, wanted: Callable[[Listing], bool]
    ) -> tuple[Listing, float] | None:
        """The nearest listing ``wanted`` accepts, and its miles (ties: the lower listing_id)."""
        found: tuple[float, str, Listing] | None = None
        seen: set[Cell] = set()
        for radius in self._radii():
            keys = self._cells_near(plan.origin, radius, seen)
            for key in keys:
                for item, phi, cos_phi in self.cells[key]:
                    if wanted(item):
                        miles = plan.miles(phi, cos_phi, item.lon)
                        if found is None or (miles, item.listing_id) < found[:2]:
                            found = (miles, item.listing_id, item)
            seen.update(keys)
            # whatever is in a cell not yet seen is farther than ``radius``
            if len(seen) == len(self.cells) or (found and found[0] <= radius - _MILES_SLACK):
                break
        return None if found is None else (found[2], found[0])

    def _radii(self) -> Iterator[float]:
        """Search radii in miles, growing geometrically."""
        radius = START_MILES
        while True:
            yield radius
            radius *= GROWTH

    def search(self, plan: Plan, scored: list[Scored], bound_at: Bound) -> list[Scored]:
        """``scored`` plus this grid's candidates that may make the query's top ``limit``.

        ``bound_at`` bounds the score of every listing in this grid at a distance.
        """
        if _settled(scored, -_MILES_SLACK, bound_at, plan.limit):
            return scored  # not even a listing at the patient's ZIP could make the list
        if self.size <= self.full_scan_below:
            return self._score(plan, self.cells, scored, bound_at)
        seen: set[Cell] = set()
        for radius in self._radii():
            keys = self._cells_near(plan.origin, radius, seen)
            scored = self._score(plan, keys, scored, bound_at)
            seen.update(keys)
            if len(seen) == len(self.cells) or _settled(scored, radius, bound_at, plan.limit):
                break
        return scored


def _settled(scored: list[Scored], radius: float, bound_at: Bound, limit: int) -> bool:
    """True when nothing in the grid beyond ``radius`` can enter the top ``limit``."""
    bound = bound_at(max(radius - _MILES_SLACK, 0.0))
    if bound is None:
        return True
    if len(scored) < limit:
        return False
    return -scored[-1][0] > bound + _SCORE_SLACK  # scored is pruned: best first


class ListingIndex:
    """Listings prepared for repeated ranking; ``rank`` equals ``rules.rank`` over them."""

    __slots__ = ("_grids", "_groups", "_count", "_teams")

    def __init__(
        self,
        listings: Iterable[Listing],
        *,
        cell_degrees: float | None = None,
        full_scan_below: int = FULL_SCAN_BELOW,
    ) -> None:
        """Bucket the listings that pass the distance-free filters by diagnosis, then grid them.

        ``cell_degrees`` (default: from each bucket's size) and ``full_scan_below`` (buckets
        this small are simply scanned) only change speed, never results.
        """
        listings = list(listings)
        self._teams = tiers.teams_of(listings)
        eligible = [x for x in listings if x.active and x.accepting_new_patients]
        self._count = len(eligible)
        entries = [(x, phi, math.cos(phi)) for x in eligible for phi in (math.radians(x.lat),)]
        self._grids: dict[str, _Grid] = {}
        self._groups: dict[tuple[str, Split], dict[Group, _Grid]] = {}
        for bucket in (NOT_SURE, *CANCER_TYPES):
            members = [e for e in entries if bucket == NOT_SURE or bucket in e[0].cancer_types]
            self._grids[bucket] = _Grid(members, cell_degrees, full_scan_below)
            for split, groups in self._split(members, bucket).items():
                self._groups[bucket, split] = {
                    group: _Grid(part, cell_degrees, full_scan_below)
                    for group, part in groups.items()
                }

    def _split(self, members: list[Entry], bucket: str) -> dict[Split, dict[Group, list[Entry]]]:
        """The bucket's listings by group, for each way of splitting it but the trivial one.

        A group key is (may get the cell-type lift, may be on a team); a split that
        ignores a property puts True in its place, the bound that assumes it.
        """
        kind = None if bucket == NOT_SURE else bucket
        keys = [
            (
                not HARD_CELL_TYPE_TREATMENTS.isdisjoint(item.treatments),
                bool(tiers.team_types(item, self._teams, kind)),
            )
            for item, _, _ in members
        ]
        out: dict[Split, dict[Group, list[Entry]]] = {}
        for split in SPLITS[1:]:
            groups = out[split] = {}
            for entry, (lift, team) in zip(members, keys, strict=True):
                groups.setdefault((lift or not split[0], team or not split[1]), []).append(entry)
        return out

    def __len__(self) -> int:
        """How many listings can be matched at all (active and accepting new patients)."""
        return self._count

    def rank(self, query: MatchQuery, origin: geo.ZipPoint | None = None) -> list[Match]:
        """Rank like ``rules.rank(query, listings, origin)``, scoring only nearby listings."""
        plan = plan_query(query, origin, self._teams)
        bucket = plan.cancer_type or NOT_SURE
        split = (plan.cell_set is not None, plan.need == "second_opinion")
        if split == SPLITS[0]:  # nothing lifts a group above the rest
            return plan.top(self._grids[bucket].search(plan, [], plan.upper_bound))
        groups = self._groups[bucket, split]
        bounded = [(plan.group_bound(*group), grid) for group, grid in groups.items()]
        # best tier first, then most lift: the shared list fills with the likeliest first
        bounded.sort(key=lambda pair: (pair[0][0], -pair[0][1]))
        scored: list[Scored] = []
        for (tier, lift), grid in bounded:
            scored = grid.search(plan, scored, _bound(plan, tier, lift))
        return plan.top(scored)

    def nearest(
        self, query: MatchQuery, wanted: Callable[[Listing, int], bool]
    ) -> tuple[Listing, float] | None:
        """The nearest listing the query admits (at any distance) that ``wanted`` accepts.

        ``wanted`` is given the listing and its tier for the query; the page names
        the nearest of a kind when a section of that kind is empty.
        """
        plan = plan_query(query, None, self._teams)
        grid = self._grids[plan.cancer_type or NOT_SURE]
        return grid.nearest(plan, lambda item: wanted(item, plan.tier(item)))


def _bound(plan: Plan, tier: int, lift: float) -> Bound:
    """``plan.upper_bound`` for a group whose best tier and most lift are known."""
    upper = plan.upper_bound
    return lambda miles: upper(miles, tier, lift)
