"""Claim-next under load: 50 advocates at once on PostgreSQL, beside a bare SKIP LOCKED claim.

    python bench/claim_queue.py            # 10,000 queued callbacks, 50 concurrent advocates
    python bench/claim_queue.py --items 20000 --advocates 50 --latency 30
    python bench/claim_queue.py --smoke    # 50 items, 5 advocates, 2 timed forms: proves it runs

On a fresh database it queues ``--items`` callback requests the way the
worker does (contact, case, consent, request, queue item), in ZIP codes
whose calling hours are open now, then lets ``--advocates`` claimers (5
processes of 10 threads, so Python's GIL is not the limit) press "claim
next" until the queue is empty.  Beside it, in the same run and with the same
concurrency, the baseline: a one-table queue claimed with a bare
``SELECT id ... FOR UPDATE SKIP LOCKED LIMIT 1`` and an UPDATE.  It prints
claims per second, the claim p50/p95, double claims (an item claimed twice),
the ratio to the baseline, and submit-to-claimable latency: from the form's
POST, through the inbox step and the queue job in a real worker, to an item
claim-next returns.
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_name, free_port, redis_server  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = database_name("intake_queue_bench")
WORK = Path(tempfile.mkdtemp(prefix="intake-queue-bench-"))
REDIS_PORT = free_port()  # the worker's broker: a redis-server of this run's own
os.environ.update(
    {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "INTAKE_INSTANCE_PATH": str(WORK / "instance"),
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_PUBLISH_AFTER_COMMIT": "true",
    }
)
os.environ.pop("CELERY_BROKER_URL", None)
PROCESSES = 5
CANDIDATE_ZIPS = ["10001", "60601", "80202", "94103", "99501", "96813", "96910", "00901"]
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def admin_db(sql: str) -> None:
    """A statement in the bench database itself, outside any transaction."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(sql)


def open_zips(now: datetime) -> list[str]:
    """ZIP codes whose calling hours are open now (and for the next half hour)."""
    from intake import calling

    found = []
    for zip_code in CANDIDATE_ZIPS:
        place = calling.locate(zip_code)
        later = now + timedelta(minutes=30)
        if place and calling.check(place, now).allowed and calling.check(place, later).allowed:
            found.append(zip_code)
    return found


def make_backlog(app: Any, count: int, zips: list[str]) -> None:
    """``count`` queued callbacks, each a new person, as the worker builds them."""
    from intake.extensions import db
    from intake.matching import geo
    from intake.models.callback import CallbackRequest
    from intake.services.inbox import callbacks, leads
    from intake.services.people.contacts import CaseFacts, Person

    with app.app_context():
        session = db.session()
        for n in range(count):
            point = geo.lookup(zips[n % len(zips)])
            form = leads.CallbackSubmission(
                submission_key=str(uuid.uuid4()),
                person=Person(
                    first_name=f"Bench{n}", phone=f"+1312{200 + n // 10000}{n % 10000:04d}"
                ),
                case=CaseFacts(
                    relationship="self",
                    zip=point.zip,
                    state=point.state,
                    timezone=point.timezone,
                    stage="4" if n % 7 == 0 else None,
                ),  # fmt: skip
                best_time="asap",
                language="es" if n % 5 == 0 else "en",
            )
            outcome = leads.submit_callback_request(session, form)
            session.flush()
            callbacks.queue_callback(session, outcome.request.id)
            if n % 200 == 199:
                session.commit()
        session.commit()
        session.query(CallbackRequest).count()


def _claimer(
    kind: str,
    threads: int,
    gates: tuple[Any, Any],
    results: Any,
    advocate_ids: list[int],
    at: datetime | None,
) -> None:
    """One process of claimers: ``threads`` advocates claiming until nothing is left."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from intake import create_app

    app = create_app()
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url, pool_size=threads, max_overflow=0)
    claimed: list[tuple[int, float]] = []
    lock = threading.Lock()

    def bare(_: int) -> None:
        with engine.connect() as conn:
            while True:
                began = time.perf_counter()
                with conn.begin():
                    row = conn.execute(text(
                        "SELECT id FROM bench_jobs WHERE claimed_by IS NULL ORDER BY id "
                        "LIMIT 1 FOR UPDATE SKIP LOCKED")).first()  # fmt: skip
                    if row is None:
                        return
                    conn.execute(text("UPDATE bench_jobs SET claimed_by = pg_backend_pid() "
                                      "WHERE id = :id"), {"id": row.id})  # fmt: skip
                with lock:
                    claimed.append((row.id, time.perf_counter() - began))

    def real(index: int) -> None:
        from intake.models.user import User
        from intake.services.queue import claims

        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            who = session.get(User, advocate_ids[index])
            while True:
                began = time.perf_counter()
                item = claims.claim_next(session, who, at).item
                session.commit()
                if item is None:
                    return
                with lock:
                    claimed.append((item.id, time.perf_counter() - began))

    ready, start = gates
    ready.release()  # app and engine built: the clock may start
    start.wait()
    workers = [threading.Thread(target=bare if kind == "bare" else real, args=(i,))
               for i in range(threads)]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    results.put(claimed)


def run_claimers(
    kind: str, advocates: int, advocate_ids: list[int], at: datetime | None = None
) -> dict[str, float]:
    ctx = multiprocessing.get_context("fork")
    ready, start, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    per = advocates // PROCESSES
    groups = [advocate_ids[i * per : (i + 1) * per] for i in range(PROCESSES)]
    procs = [
        ctx.Process(target=_claimer, args=(kind, per, (ready, start), results, group, at))
        for group in groups
    ]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process has built its app and engine
        if not ready.acquire(timeout=120):
            raise RuntimeError("a claimer process did not start within 120 s")
    began = time.perf_counter()
    start.set()
    claims = [claim for _ in procs for claim in results.get()]
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join()
    ids = [item_id for item_id, _ in claims]
    latencies = sorted(seconds for _, seconds in claims)
    return {
        "claims": len(claims),
        "per_second": len(claims) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "double": len(ids) - len(set(ids)),
    }


def submit_to_claimable(app: Any, samples: int, zip_code: str, advocate_id: int) -> list[float]:
    """Seconds from the form POST to an item claim-next returns (a real worker in between)."""
    from intake.extensions import db
    from intake.models.user import User
    from intake.services.queue import claims

    client = app.test_client()
    results = []
    for n in range(samples):
        page = client.get("/callback").get_data(as_text=True)
        data = {
            "csrf_token": TOKEN_RE.search(page).group(1),
            "submission_key": KEY_RE.search(page).group(1),
            "first_name": "Timed", "phone": f"(773) 555-{1000 + n:04d}", "zip": zip_code,
            "relationship": "self", "best_time": "asap", "language": "en", "consent_calls": "y",
        }  # fmt: skip
        started = time.perf_counter()
        response = client.post("/callback", data=data)
        response.close()  # runs the after-response announcement, as a WSGI server does
        assert response.status_code == 303
        with app.app_context():
            who = db.session.get(User, advocate_id)
            while True:
                item = claims.claim_next(db.session(), who).item
                db.session.commit()
                if item is not None:
                    break
                time.sleep(0.01)
        results.append(time.perf_counter() - started)
        time.sleep(0.3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--advocates", type=int, default=50)
    parser.add_argument("--latency", type=int, default=30)
    args = parse_args(parser, {"items": 50, "advocates": PROCESSES, "latency": 2})
    try:
        with redis_server(REDIS_PORT, WORK):
            run(args)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    """One run on a fresh database: the backlog, both claimers, the latency; figures printed."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from intake import create_app
    from intake.extensions import db
    from intake.services.staff import auth

    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    app = create_app()
    worker = None
    try:
        with app.app_context():
            upgrade()
            ids = [auth.create_user(db.session(), f"adv{n}@bench.example.org", "advocate",
                                    "a long bench password", None, ["es"] if n % 5 == 0 else []).id
                   for n in range(args.advocates + 1)]  # fmt: skip
            db.session.execute(
                text("CREATE TABLE bench_jobs (id serial PRIMARY KEY, claimed_by int)")
            )
            db.session.execute(
                text(
                    "INSERT INTO bench_jobs (claimed_by) "
                    f"SELECT NULL FROM generate_series(1, {args.items})"
                )
            )
            db.session.commit()
        now = datetime.now(UTC)
        zips, at = open_zips(now), None
        if zips:
            print(f"calling hours open now in ZIPs {', '.join(zips)}", flush=True)
        else:  # the claims run at the next half hour when some are open (the latency can't)
            at = now.replace(minute=0, second=0, microsecond=0)
            while not zips:
                at += timedelta(minutes=30)
                zips = open_zips(at)
            print(f"no calling hours open now: claims run as at {at:%Y-%m-%d %H:%M} UTC, "
                  f"open in ZIPs {', '.join(zips)}", flush=True)  # fmt: skip
        started = time.perf_counter()
        make_backlog(app, args.items, zips)
        print(
            f"backlog: {args.items} queued callbacks in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        # A bulk load leaves the planner without statistics until autovacuum's next pass;
        # a queue in service has them.  Both tables are analysed, so neither side guesses.
        admin_db("ANALYZE queue_items")
        admin_db("ANALYZE bench_jobs")
        bare = run_claimers("bare", args.advocates, ids)
        real = run_claimers("real", args.advocates, ids, at)
        for name, figures in (("bare SKIP LOCKED claim", bare), ("claim-next", real)):
            print(f"{name}: {figures['per_second']:.0f} claims/s, p50 {figures['p50_ms']:.1f} ms, "
                  f"p95 {figures['p95_ms']:.1f} ms, {figures['claims']} claims, "
                  f"{figures['double']} double claims", flush=True)  # fmt: skip
        print(f"claim-next / bare: {real['per_second'] / bare['per_second']:.2f}x", flush=True)
        if at is not None:
            print("submit to claimable: not measured (no calling hours open now)")
            return
        worker = subprocess.Popen(  # noqa: S603
            [str(BIN / "python"), "-m", "celery", "-A", "worker", "worker", "--pool", "prefork",
             "--concurrency", "2", "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
            cwd=ROOT, stdout=(WORK / "worker.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(0 if args.smoke else 6)  # the worker is up and idle (a smoke run just waits)
        times = sorted(submit_to_claimable(app, args.latency, zips[0], ids[-1]))
        p50, p95 = times[len(times) // 2] * 1000, times[int(len(times) * 0.95)] * 1000
        print(f"submit to claimable, worker idle: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
              f"({len(times)} forms)")  # fmt: skip
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        with app.app_context():
            db.engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
