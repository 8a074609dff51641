"""Specialist match through the API, beside the in-process index, on one database.

    python bench/match_api.py                  # PostgreSQL, 1k / 10k / 100k listings
    python bench/match_api.py --sqlite         # a SQLite file instead
    python bench/match_api.py --smoke          # 1,000 listings, 20 queries: proves it runs

For each size the ``specialists`` table of a fresh database (created, migrated,
dropped) is filled in bulk with the fictional listings of bench/match.py, then
the same random patient queries are timed three ways:

  index      ``ListingIndex.rank`` on the index the service built (pure ranking)
  api        ``GET /api/v1/match`` through the Flask test client: parsing, the
             service, JSON encoding (no network, no WSGI server), with the
             listings-changed check made at most every RECHECK_SECONDS (production)
  api exact  the same with that check on every request

Results of the API are checked equal to the index's before any figure is printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.smoke import parse_args  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = f"intake_bench_match_{os.getpid()}"
SIZES = (1_000, 10_000, 100_000)
QUERIES = 300
SEED = 20261121
CHUNK = 5_000


def configure(sqlite: bool) -> str:
    """Point the app's settings at a throwaway database before it is imported."""
    instance = tempfile.mkdtemp(prefix="intake-bench-match-")
    url = (
        f"sqlite:///{instance}/bench.sqlite3"
        if sqlite
        else ADMIN_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
    )
    os.environ.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "INTAKE_INSTANCE_PATH": instance,
            "RATELIMIT_ENABLED": "false",
            "OUTBOX_PUBLISH_AFTER_COMMIT": "false",
        }
    )
    os.environ.pop("REDIS_URL", None)
    return url


def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    url = ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@contextmanager
def bench_app(sqlite: bool) -> Iterator[Any]:
    """The real app on a migrated, empty database that is dropped afterwards."""
    configure(sqlite)
    if not sqlite:
        _admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        _admin(f'CREATE DATABASE "{BENCH_DB}"')
    from flask_migrate import upgrade

    from intake import create_app
    from intake.extensions import db

    app = create_app()
    try:
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if not sqlite:
            _admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        shutil.rmtree(os.environ["INTAKE_INSTANCE_PATH"], ignore_errors=True)


def as_row(listing: Any) -> dict[str, Any]:
    """A generated Listing as a ``specialists`` row (the columns the CSV import fills)."""
    first, _, last = listing.name.removeprefix("Dr. ").removesuffix(", MD").partition(" ")
    return {
        "listing_id": listing.listing_id,
        "first_name": first,
        "last_name": last,
        "credentials": "MD",
        "specialty": listing.specialty,
        "institution": listing.institution,
        "city": listing.city,
        "state": listing.state,
        "zip": listing.zip,
        "cancer_types": sorted(listing.cancer_types),
        "treatments": sorted(listing.treatments),
        "accepts_va": listing.accepts_va,
        "accepting_new_patients": listing.accepting_new_patients,
        "telehealth": listing.telehealth,
        "languages": sorted(listing.languages),
        "active": listing.active,
        "lat": listing.lat,
        "lon": listing.lon,
        "updated_by": "bench",
    }


def fill(size: int, zips: list[str], rng: random.Random) -> float:
    """Replace every listing with ``size`` generated ones, in bulk; returns seconds taken."""
    from sqlalchemy import delete, insert

    from bench.match import make_listing
    from intake.extensions import db
    from intake.models.specialist import CaseMatch, Specialist

    start = time.perf_counter()
    db.session.execute(delete(CaseMatch))
    db.session.execute(delete(Specialist))
    rows = [as_row(make_listing(rng, i, rng.choice(zips))) for i in range(size)]
    for at in range(0, size, CHUNK):
        db.session.execute(insert(Specialist), rows[at : at + CHUNK])
    db.session.commit()
    return time.perf_counter() - start


def as_params(query: Any) -> dict[str, str]:
    """A generated MatchQuery as the API's query string."""
    params = {
        "zip": query.zip,
        "cancer_type": query.cancer_type,
        "stage": query.stage,
        "cell_type": query.cell_type,
        "veteran": "true" if query.veteran else "false",
        "language": query.language,
        "telehealth": "true" if query.telehealth_ok else "false",
        "limit": str(query.limit),
        "need": query.need,
    }
    if query.max_miles is not None:
        params["max_miles"] = f"{query.max_miles:g}"
    return params


def timings_ms(run: Callable[[Any], object], queries: Sequence[Any]) -> list[float]:
    """Wall time of each call in milliseconds."""
    out = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def check_agreement(client: Any, index: Any, queries: Sequence[Any]) -> None:
    """Refuse to report figures if the API and the index disagree on any query."""
    from intake import translator
    from intake.services.directory.match_query import match_as_dict

    for query in queries:
        response = client.get("/api/v1/match", query_string=as_params(query))
        words = translator.wording(query.language)  # the API answers in the query's language
        expected = [match_as_dict(m, words) for m in index.rank(query)]
        if response.status_code != 200 or response.get_json()["results"] != expected:
            raise SystemExit(f"API differs from ListingIndex.rank for {query}")


def bench_size(app: Any, size: int, zips: list[str], args: argparse.Namespace) -> list[str]:
    """Fill the table, warm the cache, time the three ways; one report line per way."""
    from bench.match import make_query, percentile
    from intake.extensions import db
    from intake.services.directory import match_query

    rng = random.Random(args.seed + size)
    fill_s = fill(size, zips, rng)
    queries = [make_query(rng, zips) for _ in range(args.queries)]
    match_query.invalidate()
    start = time.perf_counter()
    index = match_query.current_index(db.session)
    build_s = time.perf_counter() - start
    client = app.test_client()
    check_agreement(client, index, queries[:20])

    def api(query: Any) -> None:
        response = client.get("/api/v1/match", query_string=as_params(query))
        assert response.status_code == 200
        response.get_data()

    runs = {"index": timings_ms(index.rank, queries), "api": timings_ms(api, queries)}
    app.config["MATCH_INDEX_RECHECK_SECONDS"] = 0.0
    runs["exact"] = timings_ms(api, queries)
    del app.config["MATCH_INDEX_RECHECK_SECONDS"]
    cells = "".join(f"  {percentile(t, 50):8.3f} {percentile(t, 95):8.3f}" for t in runs.values())
    return [f"{size:>8,} {fill_s:7.1f} {build_s:7.2f} {cells}"]


HEADER = (
    f"{'listings':>8} {'fill s':>7} {'build s':>7}  {'index p50':>9} {'p95':>8}"
    f"  {'api p50':>8} {'p95':>8}  {'exact p50':>9} {'p95':>8}"
)


def header(args: argparse.Namespace, zips: int) -> list[str]:
    """What ran where, so figures from two machines are never compared blindly."""
    from intake.services.directory.match_query import RECHECK_SECONDS

    backend = "SQLite" if args.sqlite else "PostgreSQL"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"match through the API: {backend}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load}, seed {args.seed}",
        f"{args.queries} random queries per size (bench/match.py's generator, {zips:,} real "
        "ZIPs), limit 10; API results checked equal to the index's first",
        "p50/p95 per query in ms; fill = bulk insert, build = index built from the rows;",
        f"api re-checks for listing changes at most every {RECHECK_SECONDS:g} s, exact on every "
        "request",
        HEADER,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run every size on one database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file")
    args = parse_args(parser, {"sizes": "1000", "queries": 20}, argv)
    started = time.perf_counter()
    with bench_app(args.sqlite) as app:
        from bench.match import civilian_zips
        from intake.matching import geo

        geo.warm()
        zips = civilian_zips()
        for line in header(args, len(zips)):
            print(line, flush=True)
        for size in (int(s) for s in args.sizes.split(",") if s):
            for line in bench_size(app, size, zips, args):
                print(line, flush=True)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
