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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

from intake.matching import geo, tiers
from intake.matching.rules import Plan, Scored, plan_query
from intake.matching.types import CANCER_TYPES, NOT_SURE, Listing, Match, MatchQuery

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


def _cell_degrees(count: int) -> float:
    """Grid resolution for a bucket: finer when denser, so each cell holds a few listings."""
    return min(5.0, max(0.1, _CELL_FACTOR / math.sqrt(max(count, 1))))


class _Grid:
    """One diagnosis bucket: listings by (floor(lat / side), floor(lon / side))."""

    __slots__ = ("side", "cells", "size", "full_scan_below")

    def __init__(self, listings: list[Listing], side: float | None, full_scan_below: int) -> None:
        """Place each listing in its cell, with the trig distance needs precomputed."""
        self.side = side or _cell_degrees(len(listings))
        self.size = len(listings)
        self.full_scan_below = full_scan_below
        cells: dict[Cell, list[Entry]] = {}
        for item in listings:
            phi = math.radians(item.lat)
            key = (math.floor(item.lat / self.side), math.floor(item.lon / self.side))
            cells.setdefault(key, []).append((item, phi, math.cos(phi)))
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

    def _score(self, plan: Plan, keys: Iterable[Cell], scored: list[Scored]) -> list[Scored]:
        """Add the listings of the given cells to ``scored`` (same steps as ``rank``)."""
        miles_of, score_of, cells, prune_at = plan.miles, plan.score, self.cells, plan.prune_at
        bound_at = plan.upper_bound
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

    def search(self, plan: Plan) -> list[Scored]:
        """The scored candidates that must contain the query's top ``limit``."""
        scored: list[Scored] = []
        if self.size <= self.full_scan_below:
            return self._score(plan, self.cells, scored)
        seen: set[Cell] = set()
        for radius in self._radii():
            keys = self._cells_near(plan.origin, radius, seen)
            scored = self._score(plan, keys, scored)
            seen.update(keys)
            if len(seen) == len(self.cells) or _settled(plan, scored, radius):
                break
        return scored


def _settled(plan: Plan, scored: list[Scored], radius: float) -> bool:
    """True when nothing beyond ``radius`` can enter the top ``limit``."""
    bound = plan.upper_bound(max(radius - _MILES_SLACK, 0.0))
    if bound is None:
        return True
    if len(scored) < plan.limit:
        return False
    return -scored[-1][0] > bound + _SCORE_SLACK  # scored is pruned: best first


class ListingIndex:
    """Listings prepared for repeated ranking; ``rank`` equals ``rules.rank`` over them."""

    __slots__ = ("_grids", "_count", "_teams")

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

        def grid(members: list[Listing]) -> _Grid:
            return _Grid(members, cell_degrees, full_scan_below)

        self._grids = {NOT_SURE: grid(eligible)}
        for cancer_type in CANCER_TYPES:
            self._grids[cancer_type] = grid([x for x in eligible if cancer_type in x.cancer_types])

    def __len__(self) -> int:
        """How many listings can be matched at all (active and accepting new patients)."""
        return self._count

    def rank(self, query: MatchQuery, origin: geo.ZipPoint | None = None) -> list[Match]:
        """Rank like ``rules.rank(query, listings, origin)``, scoring only nearby listings."""
        plan = plan_query(query, origin, self._teams)
        grid = self._grids[plan.cancer_type or NOT_SURE]
        return plan.top(grid.search(plan))

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
