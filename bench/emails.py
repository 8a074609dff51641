"""Guide emails: drain rate into an SMTP sink beside a no-op job baseline, render times, latency.

    python bench/emails.py                 # 1,000 guide emails of mixed variants
    python bench/emails.py --emails 2000 --latency 50
    python bench/emails.py --smoke         # one email of each kind: proves it still runs

On a fresh PostgreSQL database with the demo listings, with a Celery worker
of 2 processes (prefork, as in production) on a redis-server of the run's
own and a local SMTP sink (in its own process), it prints:

1. PDF render time for a cold variant (nothing cached), a warm one (the
   body and the day's base cached: the name appended) and a warm one with a
   "Specialists near you" page not seen before (drawn), in this process;
2. the drain rate of a backlog of no-op outbox jobs (the same relay, count,
   lock and stamp every job takes: the baseline) and of a backlog of guide
   emails of mixed variants (a third with a ZIP, so with a "Specialists
   near you" page), with the variant bodies and today's bases cached
   beforehand, as they are after the first email of each variant; the
   sink's log is checked for one message per delivery and no duplicate
   Message-ID;
3. submit-to-accepted latency with the worker idle: from the form's POST
   through the inbox step, the email job and the SMTP conversation to the
   sink's 250, one form at a time, after one untimed form (a variant's
   first email lays its body out: the cold render time of 1.).
"""

from __future__ import annotations

import argparse
import base64
import functools
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_name, free_port, redis_server  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = database_name("intake_emails_bench")
WORK = Path(tempfile.mkdtemp(prefix="intake-emails-bench-"))
SINK_PORT = free_port()
REDIS_PORT = free_port()  # the worker's broker: a redis-server of this run's own

os.environ.update(
    {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "INTAKE_INSTANCE_PATH": str(WORK / "instance"),
        "GUIDE_CACHE_DIR": str(WORK / "guide-cache"),
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_PUBLISH_AFTER_COMMIT": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(SINK_PORT),
        "PUBLIC_BASE_URL": "https://support.example.org",
    }
)
os.environ.pop("CELERY_BROKER_URL", None)

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
TYPES = ["pleural", "peritoneal", "pericardial", "testicular", "not_sure"]
STAGES = ["2", "4"]
TOPICS = ["treatment", "financial"]


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Processes:
    """The SMTP sink and the Celery worker, stopped whatever happens."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.sink_log = WORK / "sink.log"

    def start(self, argv: list[str], log: str) -> None:
        with (WORK / log).open("ab") as out:
            self.children.append(
                subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
            )

    def sink_lines(self) -> list[str]:
        return self.sink_log.read_text().splitlines() if self.sink_log.exists() else []

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()


def variant_of(n: int) -> dict[str, Any]:
    """A mix of 20 variants (5 types x 2 stages x veteran or not), a third with a ZIP.

    The ZIPs are drawn from every ZIP the service knows, so nearly every
    "Specialists near you" page is drawn for its reader, as in service (ten
    ZIPs, as before, let the renderer's cache of pages answer most of them).
    """
    rng = random.Random(n)
    return {
        "diagnosis_type": TYPES[n % 5],
        "stage": STAGES[(n // 5) % 2],
        "veteran": (n // 10) % 2 == 0,
        "topics": TOPICS,
        "zip": rng.choice(known_zips()) if n % 3 == 0 else None,
    }


@functools.cache
def known_zips() -> list[str]:
    from intake.matching import geo

    return geo.all_zips()


def render_times(app: Any) -> tuple[float, float, float, int]:
    """Cold and warm render of one guide, a "Specialists near you" page laid out, in ms; pages."""
    from pypdf import PdfReader

    from intake.guide.outline import Variant
    from intake.guide.render import MatchCard, Personal
    from intake.services.email import guides

    with app.app_context():
        renderer = guides.renderer()
        variant = Variant("pleural", "3", "biphasic", True, frozenset({"treatment", "financial"}))
        started = time.perf_counter()
        pdf = renderer.render(variant, Personal("First Reader", date.today()))
        cold = time.perf_counter() - started
        warm_samples, matches_samples = [], []
        for n in range(10):
            started = time.perf_counter()
            renderer.render(variant, Personal(f"Reader {n}", date.today()))
            warm_samples.append(time.perf_counter() - started)
        for n in range(11):  # a new distance each time: never kept, always laid out
            card = MatchCard("Dr. A. Sample", "Sample Cancer Center", "Chicago", "IL", 1.0 + n,
                             ("treats pleural mesothelioma",), "312-555-0100")  # fmt: skip
            started = time.perf_counter()
            renderer.render(variant, Personal("Reader", date.today(), "60601", (card,) * 3))
            matches_samples.append(time.perf_counter() - started)  # the first: a day base too
    import io

    return (
        cold * 1000,
        statistics.median(warm_samples) * 1000,
        statistics.median(matches_samples[1:]) * 1000,
        len(PdfReader(io.BytesIO(pdf)).pages),
    )


def make_guides(app: Any, count: int, offset: int) -> list[int]:
    """``count`` processed guide requests, each owing one email (its job not yet published)."""
    import uuid

    from intake.extensions import db
    from intake.matching import geo
    from intake.services.inbox import leads
    from intake.services.people.contacts import CaseFacts, Person

    ids = []
    with app.app_context():
        session = db.session()
        for n in range(offset, offset + count):
            facts = variant_of(n)
            point = geo.lookup(facts["zip"]) if facts["zip"] else None
            form = leads.GuideSubmission(
                submission_key=str(uuid.uuid4()),
                person=Person(
                    first_name=f"Reader{n}", last_name="Bench", email=f"r{n}@example.com"
                ),
                case=CaseFacts(
                    relationship="self",
                    diagnosis_type=facts["diagnosis_type"],
                    stage=facts["stage"],
                    veteran=facts["veteran"],
                    zip=point.zip if point else None,
                    state=point.state if point else None,
                    timezone=point.timezone if point else None,
                ),
                topics=facts["topics"],
                deliver_email=True,
                deliver_mail=False,
            )
            outcome = leads.submit_guide_request(session, form)
            ids.append(outcome.request.id)
            if n % 100 == 99:
                session.commit()
        session.commit()
    return ids


def warm_variants(app: Any, emails: int) -> int:
    """Render each variant's body and today's base once, as the first email of each does."""
    from intake.guide.outline import Variant
    from intake.services.email import guides

    variants = set()
    for n in range(emails):
        facts = variant_of(n)
        variants.add(
            Variant(
                diagnosis_type=facts["diagnosis_type"],
                stage=facts["stage"],
                cell_type=None,
                veteran=facts["veteran"],
                topics=frozenset(facts["topics"]),
                has_matches=bool(facts["zip"]),
            )
        )
    with app.app_context():
        renderer = guides.renderer()
        for variant in variants:
            renderer.body(variant)
            renderer.day_base(variant, date.today(), named=True)  # on disk, as after one email
    return len(variants)


def relay_all(app: Any) -> None:
    from intake import tasking
    from intake.extensions import db

    with app.app_context():
        while True:
            result = tasking.relay_batch(db.session())
            if result.broker_failed or not result.published:
                return


def wait_until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def count(app: Any, sql: str) -> int:
    from sqlalchemy import text

    from intake.extensions import db

    with app.app_context():
        value = db.session.execute(text(sql)).scalar()
        db.session.rollback()
        return int(value or 0)


def drain_noop(app: Any, jobs: int) -> float:
    """Jobs per second through the whole outbox path with no effect: the baseline."""
    from intake.extensions import db
    from intake.services import outbox

    with app.app_context():
        for _ in range(jobs):
            outbox.enqueue_job(db.session(), "outbox.noop")
        db.session.commit()
    started = time.monotonic()
    relay_all(app)
    done_sql = (
        "SELECT count(*) FROM outbox_messages "
        "WHERE task_name = 'outbox.noop' AND processed_at IS NOT NULL"
    )
    wait_until(lambda: count(app, done_sql) >= jobs, timeout=600)
    return jobs / (time.monotonic() - started)


def drain_emails(app: Any, processes: Processes, emails: int) -> tuple[float, int, int]:
    """Emails per second from a backlog to the sink; how many arrived, duplicate Message-IDs."""
    before = len(processes.sink_lines())
    started = time.monotonic()
    relay_all(app)
    sent_sql = "SELECT count(*) FROM email_deliveries WHERE status = 'sent'"
    wait_until(lambda: count(app, sent_sql) >= emails, timeout=1800)
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    lines = processes.sink_lines()[before:]
    ids = [line.split(" ", 1)[1] for line in lines]
    return emails / elapsed, len(lines), len(ids) - len(set(ids))


def latency(app: Any, processes: Processes, samples: int) -> list[float]:
    """Seconds from the form POST to the sink's 250, one form at a time, worker idle."""
    client = app.test_client()
    results = []
    for n in range(-1, samples):  # -1: one untimed form first, so the worker has its base
        page = client.get("/guide").get_data(as_text=True)
        data = {
            "csrf_token": TOKEN_RE.search(page).group(1),
            "submission_key": KEY_RE.search(page).group(1),
            "first_name": "Timed",
            "email": f"timed{n}@example.com",
            "relationship": "self",
            "diagnosis_type": "pleural",
            "stage": "3",
            "veteran": "yes",
            "topics": ["treatment", "financial"],
            "deliver_email": "y",
        }
        before = len(processes.sink_lines())
        started = time.time()
        response = client.post("/guide", data=data)
        response.close()  # runs the after-response announcement, as a WSGI server does
        assert response.status_code == 303
        wait_until(lambda before=before: len(processes.sink_lines()) > before, timeout=60)
        arrived = float(processes.sink_lines()[before].split(" ", 1)[0])
        if n >= 0:
            results.append(arrived - started)
        time.sleep(0.3)  # let the worker go idle again
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--noop", type=int, default=2000)
    parser.add_argument("--latency", type=int, default=30, help="timed forms")
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean",
                        help="the SMTP sink's server (see bench/smtp_sink.py)")  # fmt: skip
    args = parse_args(parser, {"emails": 1, "noop": 5, "latency": 1})
    try:
        with redis_server(REDIS_PORT, WORK):
            run(args)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    """One run on a fresh database: the sink and the worker started, the figures printed."""
    from flask_migrate import upgrade

    from intake import create_app
    from intake.extensions import db
    from intake.services.directory import specialists

    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    app = create_app()
    processes = Processes()
    try:
        with app.app_context():
            upgrade()
            specialists.load_demo(db.session())
            db.session.commit()
        sink = ["--port", str(SINK_PORT), "--log", str(processes.sink_log), "--server", args.sink]
        processes.start([str(BIN / "python"), "-m", "bench.smtp_sink", *sink], "sink.out")
        cold, warm, matches, pages = render_times(app)
        print(f"render: cold variant {cold:.0f} ms, warm variant {warm:.2f} ms "
              f"(median of 10, {pages} pages); with a matches page laid out {matches:.1f} ms",
              flush=True)  # fmt: skip
        variants = warm_variants(app, args.emails)
        # python -m: this checkout's code first on the path, as for the sink
        worker = [str(BIN / "python"), "-m", "celery", "-A", "worker", "worker", "--pool"]
        flags = ["prefork", "--concurrency", "2", "--loglevel", "WARNING", "--without-mingle"]
        processes.start([*worker, *flags, "--without-gossip"], "worker.log")
        time.sleep(0 if args.smoke else 6)  # the worker is up and idle (a smoke run just waits)
        noop_rate = drain_noop(app, args.noop)
        print(f"SMTP sink: {args.sink}", flush=True)
        print(f"no-op jobs: {noop_rate:.0f}/s ({args.noop} jobs, 2 worker processes)", flush=True)
        make_guides(app, args.emails, 0)  # owed now, published all at once below
        rate, arrived, duplicates = drain_emails(app, processes, args.emails)
        print(f"guide emails: {rate:.1f}/s ({args.emails} emails of {variants} variant bodies, "
              f"{arrived} arrived, {duplicates} duplicate Message-IDs); "
              f"{rate / noop_rate:.3f}x the no-op baseline", flush=True)  # fmt: skip
        times = latency(app, processes, args.latency)
        print(f"submit to SMTP accepted, worker idle: p50 {percentile(times, 0.5) * 1000:.0f} ms, "
              f"p95 {percentile(times, 0.95) * 1000:.0f} ms ({len(times)} forms)")  # fmt: skip
    finally:
        processes.stop()
        with app.app_context():
            db.engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
