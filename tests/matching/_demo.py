"""The demo directory (data/specialists_demo.csv) as the engine's plain listings, no database.

Read through the import's own parser and the query module's row-to-listing
conversion, so these are the listings the service would rank.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

from intake.matching.types import Listing
from intake.services.directory import specialist_csv
from intake.services.directory.match_query import to_listing
from intake.services.directory.specialists import DEMO_CSV


@cache
def demo_listings() -> tuple[Listing, ...]:
    """Every demo listing, in file order (the CSV must parse without a problem)."""
    parsed = specialist_csv.parse(DEMO_CSV.read_text(encoding="utf-8"))
    assert not parsed.problems, parsed.problems[:3]
    return tuple(to_listing(SimpleNamespace(**row)) for row in parsed.rows)
