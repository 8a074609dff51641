"""The match benchmark's baseline stays in step with the engine (a short run of bench/match.py)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from intake.matching.index import ListingIndex

BENCH = Path(__file__).resolve().parents[2] / "bench" / "match.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_match", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_index_the_scan_and_the_naive_baseline_agree_on_generated_listings():
    bench = _bench()
    rng = random.Random(11)
    zips = bench.civilian_zips()[::50]
    listings = [bench.make_listing(rng, i, rng.choice(zips)) for i in range(600)]
    queries = [bench.make_query(rng, zips) for _ in range(60)]
    bench.check_agreement(ListingIndex(listings), listings, queries)  # SystemExit on any drift
