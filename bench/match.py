"""Specialist-match benchmark, in process.

Generates fictional listings (1k, 10k, 100k by default) at random real ZIPs with
random attributes and a fixed seed, then times random patient queries against

  (a) ``ListingIndex.rank``  the grid prefilter the service is meant to use,
  (b) ``rules.rank``         the same rules scanning every listing,
  (c) a naive baseline       written here: filter, ``geo.lookup`` + ``geo.distance_miles``
                             per listing, score, sort everything.

and prints p50/p95 per query in milliseconds with the speed-up over the naive
scan, by the wall clock and, for the index, by the thread's CPU clock too (what a
query costs, without the time a busy machine gives to other processes).  Full
scans get fewer queries at large sizes so the run stays short; the count used is
printed.  Run from the project root: ``python bench/match.py``
(``--smoke``: 1,000 listings and 20 queries, to prove it still runs).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.smoke import parse_args  # noqa: E402
from intake.matching import geo, rules, tiers  # noqa: E402
from intake.matching.index import ListingIndex  # noqa: E402
from intake.matching.types import (  # noqa: E402
    CANCER_TYPES,
    CELL_TYPE_CHOICES,
    SPECIALTIES,
    STAGE_CHOICES,
    TREATMENTS,
    Listing,
    MatchQuery,
)

SEED = 20260611
SIZES = (1_000, 10_000, 100_000)
QUERIES = 300
# A full scan gets at most this many listing visits per size, i.e. fewer queries when big.
FULL_SCAN_BUDGET = 1_500_000
MIN_FULL_SCAN_QUERIES = 40
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
)
STATES = frozenset(_STATE_CODES.split())
TYPE_ODDS = {"pleural": 0.7, "peritoneal": 0.4, "pericardial": 0.1, "testicular": 0.05}

Ranker = Callable[[MatchQuery], Sequence[object]]


def civilian_zips() -> list[str]:
    """Real ZIPs in the states, DC and Puerto Rico (no military mail codes)."""
    points = (geo.lookup(z) for z in geo.all_zips())
    return [p.zip for p in points if p is not None and p.state in STATES]


def make_listing(rng: random.Random, number: int, zip_code: str) -> Listing:
    """One fictional specialist with random but plausible attributes."""
    point = geo.lookup(zip_code)
    assert point is not None
    types = frozenset(t for t in CANCER_TYPES if rng.random() < TYPE_ODDS[t]) or {"pleural"}
    languages = {"en"} | ({"es"} if rng.random() < 0.2 else set())
    languages |= {"zh"} if rng.random() < 0.05 else set()
    return Listing(
        listing_id=f"BEN-{number:06d}",
        name=f"Dr. Bench Person{number}, MD",
        specialty=rng.choice(SPECIALTIES),
        institution=f"Bench Cancer Center {number % 997}",
        city=point.city,
        state=point.state,
        zip=zip_code,
        lat=point.lat,
        lon=point.lon,
        cancer_types=frozenset(types),
        treatments=frozenset(t for t in TREATMENTS if rng.random() < 0.35),
        accepts_va=rng.random() < 0.3,
        accepting_new_patients=rng.random() < 0.9,
        telehealth=rng.random() < 0.4,
        languages=frozenset(languages),
        active=rng.random() < 0.95,
        recent_referrals=rng.randint(0, 20),
    )


def make_query(rng: random.Random, zips: list[str]) -> MatchQuery:
    """One random patient, mostly English-speaking, some veterans, some with a travel limit."""
    return MatchQuery(
        zip=rng.choice(zips),
        cancer_type=rng.choices([*CANCER_TYPES, "not_sure"], [50, 25, 5, 3, 17])[0],
        stage=rng.choice(STAGE_CHOICES),
        cell_type=rng.choice(CELL_TYPE_CHOICES),
        veteran=rng.random() < 0.3,
        language=rng.choices(["en", "es", "zh"], [80, 15, 5])[0],
        telehealth_ok=rng.random() < 0.5,
        max_miles=rng.choice([None, None, 25.0, 50.0, 100.0, 250.0]),
        limit=10,
        need=rng.choices(["treatment", "second_opinion", "clinical_trial", "palliative"],
                         [70, 10, 10, 10])[0],
    )  # fmt: skip


def naive_rank(query: MatchQuery, listings: Sequence[Listing]) -> list[tuple[str, float]]:
    """The obvious implementation: look every ZIP up, score everything, sort everything."""
    origin = geo.lookup(query.zip)
    if origin is None:
        raise ValueError(query.zip)
    plan = rules.Plan(query, origin)  # only for its constants (thresholds, lift sets)
    teams = tiers.teams_of(listings) if query.need == "second_opinion" else frozenset()
    query_type = None if query.cancer_type == "not_sure" else query.cancer_type
    results = []
    for item in listings:
        if not item.active or not item.accepting_new_patients:
            continue
        if query.cancer_type != "not_sure" and query.cancer_type not in item.cancer_types:
            continue
        point = geo.lookup(item.zip)
        if point is None:
            continue
        miles = geo.distance_miles(origin, point)
        tele = query.telehealth_ok and item.telehealth
        if query.max_miles is not None and miles > query.max_miles and not tele:
            continue
        on_team = bool(tiers.team_types(item, teams, query_type))
        tier = tiers.tier_of(item, query.need, plan.care, on_team)
        if miles <= plan.reach or tele:
            points = rules.TIER_BASE[tier] + plan.distance_part(miles, tele)
        else:
            points = rules.BEYOND_TIER_POINTS[tier]
            points += rules.BEYOND_DISTANCE_WEIGHT * rules.distance_points(miles)
        if plan.cell_set and plan.cell_set & item.treatments:
            points += rules.CELL_TYPE_POINTS
        if query.veteran and item.accepts_va:
            points += rules.VA_POINTS
        if query.language != "en" and query.language in item.languages:
            points += rules.LANGUAGE_POINTS
        if item.recent_referrals < rules.FAIR_SPREAD_REFERRALS:
            share = 1.0 - max(item.recent_referrals, 0) / rules.FAIR_SPREAD_REFERRALS
            points += rules.FAIR_SPREAD_POINTS * share
        results.append((-round(points, 2), miles, item.listing_id))
    results.sort()
    return [(listing_id, -neg) for neg, _, listing_id in results[: query.limit]]


def timings_ms(
    ranker: Ranker, queries: Sequence[MatchQuery], clock: Callable[[], float] = time.perf_counter
) -> list[float]:
    """Time of each query in milliseconds, by ``clock`` (wall time unless told)."""
    out = []
    for query in queries:
        start = clock()
        ranker(query)
        out.append((clock() - start) * 1000.0)
    return out


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile, enough for a benchmark summary."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def check_agreement(
    index: ListingIndex, listings: list[Listing], queries: Sequence[MatchQuery]
) -> None:
    """Refuse to report figures if the three implementations disagree on any query."""
    for query in queries:
        full = rules.rank(query, listings)
        if index.rank(query) != full:
            raise SystemExit(f"ListingIndex.rank differs from rank for {query}")
        expected = [(m.listing.listing_id, m.score) for m in full]
        if naive_rank(query, listings) != expected:
            raise SystemExit(f"naive baseline differs from rank for {query}")


def bench_size(size: int, zips: list[str], n_queries: int, seed: int) -> list[str]:
    """Build one data set, time the three rankers on it, return the report lines."""
    rng = random.Random(seed + size)
    listings = [make_listing(rng, i, rng.choice(zips)) for i in range(size)]
    queries = [make_query(rng, zips) for _ in range(n_queries)]
    start = time.perf_counter()
    index = ListingIndex(listings)
    build_ms = (time.perf_counter() - start) * 1000.0
    n_full = min(n_queries, max(MIN_FULL_SCAN_QUERIES, FULL_SCAN_BUDGET // size))
    check_agreement(index, listings, queries[: min(n_full, 20)])
    naive = timings_ms(lambda q: naive_rank(q, listings), queries[:n_full])
    full = timings_ms(lambda q: rules.rank(q, listings), queries[:n_full])
    runs = {
        "ListingIndex.rank": (timings_ms(index.rank, queries), n_queries),
        "rules.rank (full scan)": (full, n_full),
        "naive baseline": (naive, n_full),
    }
    naive_p50, naive_p95 = percentile(naive, 50), percentile(naive, 95)
    lines = [f"{size:>7,} listings ({len(index):,} matchable), index built in {build_ms:.0f} ms"]
    for label, (times, count) in runs.items():
        p50, p95 = percentile(times, 50), percentile(times, 95)
        lines.append(
            f"  {label:<24} n={count:<4} p50 {p50:8.3f} ms  p95 {p95:8.3f} ms"
            f"  naive/this p50 x{naive_p50 / p50:6.1f}  p95 x{naive_p95 / p95:6.1f}"
        )
    # The same queries again by the thread's CPU clock: on a shared machine the wall
    # p95 also measures the scheduler; this one is the work a query costs.
    cpu = timings_ms(index.rank, queries, time.thread_time)
    naive_cpu = timings_ms(lambda q: naive_rank(q, listings), queries[:n_full], time.thread_time)
    lines.append(
        f"  {'ListingIndex.rank, CPU':<24} n={n_queries:<4} p50 {percentile(cpu, 50):8.3f} ms"
        f"  p95 {percentile(cpu, 95):8.3f} ms  naive/this p95 x"
        f"{percentile(naive_cpu, 95) / percentile(cpu, 95):6.1f}  (thread CPU time)"
    )
    return lines


def run_in_process(sizes: Sequence[int], n_queries: int, seed: int) -> list[str]:
    """The in-process part of the benchmark; an API part can sit beside it."""
    geo.warm()
    zips = civilian_zips()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"match benchmark, in process: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load}, seed {seed}",
        f"{n_queries} queries per size (fewer for full scans), limit 10",
        f"{len(zips):,} real ZIPs to draw from; results checked identical across implementations",
    ]
    for size in sizes:
        lines.extend(bench_size(size, zips, n_queries, seed))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the in-process benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parse_args(parser, {"sizes": "1000", "queries": 20}, argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    started = time.perf_counter()
    for line in run_in_process(sizes, args.queries, args.seed):
        print(line, flush=True)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
