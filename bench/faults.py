"""Chaos run: forms keep coming while workers are SIGKILLed and Redis dies; is anything lost?

    python bench/faults.py                       # 600 callback forms, the full fault schedule
    python bench/faults.py --forms 5000 --rate 40
    python bench/faults.py --smoke               # 20 forms, every fault once, short timings

Starts its own processes on loopback (``cluster.py``), as an operator would run them:
gunicorn (2 workers), a Celery worker (prefork, 2 processes), beat, and a
throw-away ``redis-server`` with no persistence, on a fresh PostgreSQL
database.  Clients send callback forms (a new person each) at a steady rate
while the worker is killed with SIGKILL every ``--kill-every`` seconds (and
restarted a second later, as a supervisor would), Redis is killed and
restarted empty, and later killed and kept down for ``--outage`` seconds.
Then it waits for everything to drain and prints what a person would care
about: confirmations given, forms processed, requests created, duplicate
effects, jobs left, and how long the service took to catch up after the last
fault.  Every setting is the production default unless given.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster, count  # noqa: E402
from bench.scratch import run_in_threads  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


@dataclass
class Plan:
    """What to send and which faults to inject, at which moments (seconds from the start)."""

    forms: int = 600
    rate: float = 18.0  # forms per second, over all clients
    clients: int = 10
    kill_every: float | None = 10.0  # SIGKILL the worker this often while forms arrive
    redis_restart_at: float | None = None  # SIGKILL Redis here, restart it empty at once
    redis_outage_at: float | None = None  # SIGKILL Redis here and keep it down ...
    outage: float = 30.0  # ... this long
    settings: dict[str, str] = field(default_factory=dict)  # OUTBOX_* etc. for every process
    drain_timeout: float = 600.0

    def duration(self) -> float:
        """How long the forms take to send at the planned rate."""
        return self.forms / self.rate

    def with_default_faults(self) -> Plan:
        """Redis killed twice: a quick restart a third of the way, an outage at two thirds."""
        span = self.duration()
        if self.redis_restart_at is None:
            self.redis_restart_at = round(span * 0.3, 1)
        if self.redis_outage_at is None:
            self.redis_outage_at = round(span * 0.6, 1)
        return self


@dataclass
class Report:
    """The figures of one run."""

    confirmations: int = 0
    refused: int = 0  # POSTs that got no confirmation (the person saw an error)
    received: int = 0
    processed: int = 0
    lost: int = 0  # confirmed but not processed when the run ended
    requests: int = 0
    duplicate_effects: int = 0
    jobs: int = 0
    jobs_rerun: int = 0  # started more than once (a killed worker, a re-publish): effect once
    jobs_republished: int = 0  # handed to the broker more than once (their message was lost)
    jobs_left: int = 0
    jobs_gave_up: int = 0
    faults: list[str] = field(default_factory=list)
    last_fault_at: float = 0.0
    drained_after: float | None = None  # seconds from the last fault to nothing left

    def lines(self) -> list[str]:
        """The report as printed."""
        drained = f"{self.drained_after:.1f} s" if self.drained_after is not None else "NOT DRAINED"
        return [
            f"confirmations given      {self.confirmations} ({self.refused} refused)",
            f"submissions received     {self.received}",
            f"submissions processed    {self.processed}",
            f"lost (confirmed, not processed)  {self.lost}",
            f"requests created         {self.requests}",
            f"duplicate effects        {self.duplicate_effects}",
            f"jobs                     {self.jobs} ({self.jobs_republished} published again, "
            f"{self.jobs_rerun} started more than once)",
            f"jobs left unprocessed    {self.jobs_left} ({self.jobs_gave_up} waiting for a person)",
            f"faults                   {'; '.join(self.faults)}",
            f"drained after last fault {drained}",
        ]


class Rig(Cluster):
    """The cluster faults.py runs: one Celery worker of 2 processes, the plan's settings."""

    def __init__(self, plan: Plan, workdir: Path) -> None:
        super().__init__(workdir, plan.settings, workers=1, concurrency=2, prefix="intake_faults")
        self.plan = plan
        self.worker = self.workers[0]


def _person(n: int) -> dict[str, str]:
    """A new person per form: the costly path (new contact, case, consent, request, jobs)."""
    return {
        "first_name": "Chaos",
        "last_name": f"Person{n}",
        "phone": f"(312) {200 + n // 10000}-{n % 10000:04d}",
        "email": f"chaos{n}@example.com",
        "relationship": "self",
        "diagnosis_type": "pleural",
        "stage": "2",
        "zip": "60601",
        "veteran": "no",
        "best_time": "asap",
        "language": "en",
        "consent_calls": "y",
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The confirmation is the 303 itself; following it would count the thanks page's fate."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Clients:
    """Threads sending callback forms at a steady overall rate, as browsers would."""

    def __init__(self, rig: Rig, plan: Plan) -> None:
        self.rig, self.plan = rig, plan
        self.next_form = 0
        self.lock = threading.Lock()
        self.confirmed: list[str] = []
        self.refused = 0
        self.started = time.monotonic()

    def _take(self) -> int | None:
        with self.lock:
            if self.next_form >= self.plan.forms:
                return None
            n = self.next_form
            self.next_form += 1
            return n

    def _send(self, opener: urllib.request.OpenerDirector, n: int) -> None:
        try:
            page = opener.open(self.rig.url("/callback"), timeout=30).read().decode()
            token, key = TOKEN_RE.search(page), KEY_RE.search(page)
            assert token and key
            fields = {
                "csrf_token": token.group(1),
                "submission_key": key.group(1),
                **_person(n),
            }
            body = urllib.parse.urlencode(fields).encode()
            opener.open(self.rig.url("/callback"), data=body, timeout=30).close()
            confirmed = False  # a 200 re-shows the form with an error: not confirmed
        except urllib.error.HTTPError as answer:  # redirects are not followed: 303 is the "thanks"
            confirmed = answer.code == 303 and "/callback/thanks" in answer.headers["Location"]
        except (OSError, AssertionError):
            confirmed = False
        with self.lock:
            if confirmed:
                self.confirmed.append(fields["submission_key"])
            else:
                self.refused += 1

    def _client(self) -> None:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        while (n := self._take()) is not None:
            due = self.started + n / self.plan.rate
            time.sleep(max(0.0, due - time.monotonic()))
            self._send(opener, n)

    def run(self) -> None:
        run_in_threads(self._client, self.plan.clients)


def _kill_workers(rig: Rig, plan: Plan, report: Report, clock: Callable[[], float]) -> None:
    """SIGKILL the worker every ``kill_every`` seconds while forms arrive; restart it."""
    if not plan.kill_every:
        return
    at = plan.kill_every
    while at < plan.duration():
        time.sleep(max(0.0, at - clock()))
        rig.worker.kill()
        time.sleep(1.0)  # a supervisor's restart delay
        rig.worker.start()
        report.faults.append(f"worker killed at {at:.0f} s")
        report.last_fault_at = max(report.last_fault_at, clock())
        at += plan.kill_every


def _break_redis(rig: Rig, plan: Plan, report: Report, clock: Callable[[], float]) -> None:
    """Kill Redis (no persistence: it comes back empty), once briefly and once for a while."""
    for at, down in ((plan.redis_restart_at, 1.0), (plan.redis_outage_at, plan.outage)):
        if at is None:
            continue
        time.sleep(max(0.0, at - clock()))
        rig.redis.kill()
        time.sleep(down)
        rig.redis.start()
        report.faults.append(f"Redis killed at {at:.0f} s, back empty after {down:.0f} s")
        report.last_fault_at = max(report.last_fault_at, clock())


LEFT_SQL = (
    "SELECT (SELECT count(*) FROM submissions WHERE processed_at IS NULL)"
    " + (SELECT count(*) FROM outbox_messages WHERE processed_at IS NULL)"
)
DUPLICATES_SQL = """
SELECT
  (SELECT count(*) FROM (SELECT contact_id, purpose FROM consent_records
     GROUP BY contact_id, purpose HAVING count(*) > 1) AS consents)
+ (SELECT count(*) FROM (SELECT contact_id FROM callback_requests
     GROUP BY contact_id HAVING count(*) > 1) AS requests)
+ (SELECT count(*) FROM (SELECT case_id, specialist_id FROM case_matches
     GROUP BY case_id, specialist_id HAVING count(*) > 1) AS matches)
+ (SELECT count(*) FROM (SELECT task_name, args::text FROM outbox_messages
     GROUP BY task_name, args::text HAVING count(*) > 1) AS jobs)
"""


def _measure(rig: Rig, clients: Clients, report: Report) -> None:
    url = rig.sql_url
    keys = ",".join(f"'{key}'" for key in clients.confirmed) or "''"
    report.confirmations, report.refused = len(clients.confirmed), clients.refused
    report.received = count(url, "SELECT count(*) FROM submissions")
    report.processed = count(url, "SELECT count(*) FROM submissions WHERE processed_at IS NOT NULL")
    processed_keys = count(
        url,
        "SELECT count(*) FROM submissions WHERE processed_at IS NOT NULL "
        f"AND submission_key IN ({keys})",
    )
    report.lost = report.confirmations - processed_keys
    report.requests = count(url, "SELECT count(*) FROM callback_requests")
    report.duplicate_effects = count(url, DUPLICATES_SQL)
    report.jobs = count(url, "SELECT count(*) FROM outbox_messages")
    report.jobs_rerun = count(url, "SELECT count(*) FROM outbox_messages WHERE runs > 1")
    report.jobs_republished = count(
        url, "SELECT count(*) FROM outbox_messages WHERE publish_attempts > 1"
    )
    report.jobs_left = count(url, "SELECT count(*) FROM outbox_messages WHERE processed_at IS NULL")
    report.jobs_gave_up = count(
        url, "SELECT count(*) FROM outbox_messages WHERE gave_up_at IS NOT NULL"
    )


def run(plan: Plan, keep_logs: Path | None = None) -> Report:
    """One chaos run from a fresh database to a drained service; its figures."""
    workdir = Path(tempfile.mkdtemp(prefix="intake-faults-"))
    rig = Rig(plan, workdir)
    report = Report()
    try:
        rig.up()
        started = time.monotonic()

        def clock() -> float:
            return time.monotonic() - started

        chaos = [
            threading.Thread(target=fault, args=(rig, plan, report, clock))
            for fault in (_kill_workers, _break_redis)
        ]
        for thread in chaos:
            thread.start()
        clients = Clients(rig, plan)
        clients.started = started
        clients.run()
        for thread in chaos:
            thread.join()
        report.last_fault_at = max(report.last_fault_at, clock())
        url = rig.sql_url
        while clock() - report.last_fault_at < plan.drain_timeout:
            if rig.beat.process and rig.beat.process.poll() is not None:
                rig.beat.start()  # a supervisor would; counted as a fault if it ever happens
                report.faults.append(f"beat exited, restarted at {clock():.0f} s")
            if count(url, LEFT_SQL) == 0:
                report.drained_after = clock() - report.last_fault_at
                break
            time.sleep(1.0)
        _measure(rig, clients, report)
        return report
    finally:
        rig.down()
        if keep_logs is not None:
            shutil.copytree(workdir, keep_logs, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


# A smoke run: 20 forms over 2 s, one worker SIGKILL, Redis restarted and down for 1 s, with
# the re-publish and sweep times shortened (as tests/worker/test_faults.py) so it drains in
# seconds rather than after the production minutes.
SMOKE = {
    "forms": 20, "rate": 10.0, "clients": 2, "kill_every": 1.0, "outage": 1.0,
    "set": ["OUTBOX_REPUBLISH_SECONDS=4", "OUTBOX_RELAY_SECONDS=1",
            "SUBMISSION_SWEEP_GRACE_SECONDS=3"],
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=600)
    parser.add_argument("--rate", type=float, default=18.0, help="forms per second")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--kill-every", type=float, default=10.0)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Redis stays down")
    parser.add_argument("--logs", type=Path, help="keep every process's log in this folder")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a setting, e.g. "
        "OUTBOX_REPUBLISH_SECONDS=30 (default: production values)",
    )  # fmt: skip
    args = parse_args(parser, SMOKE)
    settings = dict(item.split("=", 1) for item in args.set)
    plan = Plan(
        forms=args.forms,
        rate=args.rate,
        clients=args.clients,
        kill_every=args.kill_every or None,
        outage=args.outage,
        settings=settings,
    ).with_default_faults()
    print(
        f"{plan.forms} callback forms at {plan.rate}/s from {plan.clients} clients; worker "
        f"SIGKILLed every {plan.kill_every} s; Redis SIGKILLed at {plan.redis_restart_at} s "
        f"(restarted empty) and at {plan.redis_outage_at} s (down {plan.outage} s); "
        f"settings: {settings or 'production defaults'}",
        flush=True,
    )
    report = run(plan, keep_logs=args.logs)
    for line in report.lines():
        print(line)
    ok = (
        report.lost == 0
        and report.duplicate_effects == 0
        and report.jobs_left == 0
        and report.drained_after is not None
    )
    print("RESULT", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
