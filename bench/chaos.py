"""Whole-system chaos: forms, partner leads, guide emails and the callback queue while things die.

    python bench/chaos.py                 # 2,000 submissions, every fault (under 10 minutes)
    python bench/chaos.py --n 10000       # the full run
    python bench/chaos.py --smoke         # 150 submissions, each fault once, short timings

On loopback (``cluster.py``): gunicorn (2 workers), 2 Celery workers (one
prefork process each), beat, a throw-away Redis without persistence, a fresh
PostgreSQL database, and an SMTP server of the run's own (``chaos_sink.py``)
that records every message it takes and misbehaves when told.

20 clients send ``--n`` submissions at ``--rate`` a second: guide requests
with and without a ZIP (some names and a few addresses not ASCII), callback
forms, partner API leads with an Idempotency-Key (some sent twice, and
every failed one retried with its key); some people come back, some forms
are sent twice (a double click).  Meanwhile advocates (staff accounts the
run creates) sign in, press "claim next" and log outcomes through the
console's routes, sometimes twice.  The faults, while submissions arrive: a
worker SIGKILLed every ``--kill-every`` seconds (restarted a second later);
SIGTERM twice to a worker (warm shutdown, then cold: SIGQUIT, as Celery
5.5+ ignores a second SIGTERM); Redis SIGKILLed and restarted empty; Redis
down for ``--outage`` seconds; the SMTP server answering 451 to 20% of
messages for a while, and dropping the connection after DATA for a few.

Then it waits for the service to drain and checks, from the database and
the sink: confirmations = sealed submissions = processed; emails owed =
emails received by Message-ID (0 missing, 0 duplicates); callback requests
= queue items (one open item per phone); no item claimed by two advocates;
no outcome recorded twice; redeliveries seen against duplicate effects;
the drain time after the last fault.  ``RESULT ok`` or ``RESULT FAILED``.
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_sink import Control  # noqa: E402
from bench.cluster import BIN, Cluster, Service  # noqa: E402
from bench.scratch import free_port, wait_for_port  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
LEAD_RE = re.compile(r"/advocate/leads/(\d+)$")
TASK_LINE_RE = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] received")
PASSWORD = "a long chaos bench password"
ZIPS = ["60601", "10001"]  # Chicago and New York: callable in the US working day


@dataclass
class Plan:
    """What to send, and when each fault strikes (seconds from the first submission)."""

    n: int = 2000
    rate: float = 8.0
    clients: int = 20
    advocates: int = 4
    kill_every: float = 30.0
    outage: float = 60.0
    refuse_share: float = 0.2
    drops: int = 3
    refuse_seconds: float | None = None  # how long the 451s last (default: 30% of the span)
    refuse_min: int = 100  # ... and for at least this many messages
    variants: int = 2  # guide variants (diagnoses): each first one is seconds of layout
    drain_timeout: float = 900.0
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def span(self) -> float:
        return self.n / self.rate


class Log:
    """The faults as they happen, and when the last one ended."""

    def __init__(self, started: float) -> None:
        self.started, self.lines, self.last_end = started, [], 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        return time.monotonic() - self.started

    def note(self, line: str) -> None:
        with self.lock:
            self.lines.append(f"{self.clock():6.1f} s  {line}")
            self.last_end = max(self.last_end, self.clock())
        print(f"  [{self.clock():6.1f} s] {line}", flush=True)

    def at(self, moment: float) -> None:
        time.sleep(max(0.0, moment - self.clock()))


# ---- the submissions ------------------------------------------------------------------------


def person(pid: int, variants: int = 2) -> dict[str, str]:
    """Who submits: the same pid is the same person (name, phone, email) every time."""
    first = "Zoë" if pid % 7 == 0 else "Chaos"
    local = f"zoë{pid}" if pid % 40 == 0 else f"chaos{pid}"  # a few need SMTPUTF8
    return {
        "first_name": first, "last_name": f"Person{pid}", "email": f"{local}@example.com",
        "phone": f"(312) {200 + pid // 10000}-{pid % 10000:04d}", "relationship": "self",
        # two guide variants (times a ZIP or none): a cold one takes seconds to lay out
        "diagnosis_type": ["pleural", "peritoneal"][pid % variants],
        "stage": ["2", "4"][pid % variants],
        "veteran": "no",
    }  # fmt: skip


def plan_of(n: int) -> tuple[str, int, bool]:
    """Submission ``n``: its kind, its person and whether it is sent twice."""
    rng = random.Random(n)
    draw = rng.random()
    kind = ("guide_zip" if draw < 0.2 else "guide" if draw < 0.4
            else "callback" if draw < 0.75 else "api")  # fmt: skip
    pid = rng.randrange(n) if n > 10 and rng.random() < 0.1 else n  # a tenth come back
    return kind, pid, rng.random() < 0.05


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )


def post(opener: Any, url: str, fields: Any) -> tuple[int, str]:
    """POST a form without following its redirect: status and Location (or body)."""
    body = urllib.parse.urlencode(fields, doseq=True).encode()
    try:
        with opener.open(url, data=body, timeout=30) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location", "")


class Clients:
    """20 threads of people sending forms and partners sending leads, at a steady rate."""

    def __init__(self, cluster: Cluster, plan: Plan, api_key: str, started: float) -> None:
        self.cluster, self.plan, self.api_key, self.started = cluster, plan, api_key, started
        self.lock = threading.Lock()
        self.next = 0
        self.confirmed_keys: set[str] = set()  # forms: the submission keys confirmed
        self.confirmed_leads: set[str] = set()  # partner API: the lead ids accepted
        self.refused = 0
        self.sent = collections.Counter[str]()
        self.retried = 0

    def _take(self) -> int | None:
        with self.lock:
            if self.next >= self.plan.n:
                return None
            self.next += 1
            return self.next - 1

    def form(self, opener: Any, n: int, kind: str, pid: int, twice: bool) -> None:
        path = "/callback" if kind == "callback" else "/guide"
        fields: dict[str, Any] = {}
        for _ in range(3):  # a person whose page failed sends it again (same hidden key)
            try:
                if not fields:
                    with opener.open(self.cluster.url(path), timeout=30) as page:
                        html = page.read().decode()
                    token, key = TOKEN_RE.search(html), KEY_RE.search(html)
                    assert token and key
                    fields = {"csrf_token": token.group(1), "submission_key": key.group(1)}
                    fields.update(person(pid, self.plan.variants))
                    if kind == "callback":
                        fields.update(zip=ZIPS[pid % 2], best_time="asap", language="en",
                                      consent_calls="y")  # fmt: skip
                    else:
                        del fields["phone"]
                        fields.update(topics=["treatment", "financial"], deliver_email="y")
                        if kind == "guide_zip":
                            fields["zip"] = ZIPS[pid % 2]
                status, where = post(opener, self.cluster.url(path), fields)
                if twice:  # the double click: the same form again at once
                    status2, where2 = post(opener, self.cluster.url(path), fields)
                    if status2 == 303:
                        status, where = status2, where2
            except (OSError, AssertionError):
                status, where = 0, ""
            if status == 303 and "/thanks" in where:
                with self.lock:
                    self.confirmed_keys.add(fields["submission_key"])
                return
            with self.lock:
                self.retried += 1
            time.sleep(1.0)
        with self.lock:
            self.refused += 1

    def api(self, n: int, pid: int, twice: bool) -> None:
        who = person(pid, self.plan.variants)
        body = {
            "callback": {**{k: v for k, v in who.items() if k != "email"}, "zip": ZIPS[pid % 2],
                         "best_time": "asap", "language": "en", "consent_calls": True},
            "consent": {"given_at": "2026-11-29T09:30:00Z", "ip_address": "203.0.113.7",
                        "wordings": {"advocate_calls": {"version": "callback-calls-2026-11-01"}}},
        }  # fmt: skip
        key = str(uuid.uuid4())
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.cluster.url("/api/v1/leads"), data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}",
                     "Idempotency-Key": key},
        )  # fmt: skip
        lead_id = None
        for attempt in range(4 if not twice else 5):  # retried with its key, as the docs say
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    document = json.loads(answer.read())
                    lead_id = lead_id or document.get("id")
                    if twice and attempt == 0:
                        continue  # a partner that sends it again (its own timeout): same lead
                    break
            except (urllib.error.HTTPError, OSError, ValueError):
                with self.lock:
                    self.retried += 1
                time.sleep(1.0 + attempt)
        with self.lock:
            if lead_id:
                self.confirmed_leads.add(lead_id)
            else:
                self.refused += 1

    def _client(self) -> None:
        opener = browser()
        while (n := self._take()) is not None:
            time.sleep(max(0.0, self.started + n / self.plan.rate - time.monotonic()))
            kind, pid, twice = plan_of(n)
            with self.lock:
                self.sent[kind] += 1
                self.sent["sent twice"] += twice
                self.sent["people coming back"] += pid != n
            if kind == "api":
                self.api(n, pid, twice)
            else:
                self.form(opener, n, kind, pid, twice)

    def run(self) -> None:
        threads = [threading.Thread(target=self._client) for _ in range(self.plan.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# ---- the advocates --------------------------------------------------------------------------


class Advocates:
    """Staff signed in through /login, claiming next and logging outcomes until told to stop."""

    def __init__(self, cluster: Cluster, emails: list[str]) -> None:
        self.cluster, self.emails = cluster, emails
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.claims: list[tuple[int, str]] = []  # (item id, advocate)
        self.outcomes: collections.Counter[int] = collections.Counter()  # item -> confirmed
        self.double_posts = 0
        self.errors = 0
        self.threads = [threading.Thread(target=self._work, args=(e,)) for e in emails]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join()

    def _token(self, opener: Any, path: str) -> str:
        with opener.open(self.cluster.url(path), timeout=30) as page:
            found = TOKEN_RE.search(page.read().decode())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def _sign_in(self, opener: Any, email: str) -> None:
        token = self._token(opener, "/login")
        fields = {"csrf_token": token, "email": email, "password": PASSWORD}
        status, _ = post(opener, self.cluster.url("/login"), fields)
        assert status == 303, f"{email} could not sign in ({status})"

    def _work(self, email: str) -> None:
        rng = random.Random(email)
        opener = browser()
        signed_in = False
        while not self.stopped.is_set():
            try:
                if not signed_in:
                    self._sign_in(opener, email)
                    signed_in = True
                self._one_call(opener, email, rng)
            except (OSError, AssertionError):
                with self.lock:
                    self.errors += 1
                self.stopped.wait(1.0)

    def _one_call(self, opener: Any, email: str, rng: random.Random) -> None:
        token = self._token(opener, "/advocate/")
        status, where = post(opener, self.cluster.url("/advocate/claim-next"),
                             {"csrf_token": token})  # fmt: skip
        found = LEAD_RE.search(where) if status == 303 else None
        if found is None:
            self.stopped.wait(1.0)  # nobody to call now
            return
        item = int(found.group(1))
        with self.lock:
            self.claims.append((item, email))
        token = self._token(opener, f"/advocate/leads/{item}")
        self.stopped.wait(rng.uniform(0.1, 0.5))  # the call
        outcome = rng.choice(["reached", "reached", "no_answer", "left_voicemail"])
        fields = {"csrf_token": token, "outcome": outcome}
        if outcome == "reached":
            fields["next_step"] = "closed"
        url = self.cluster.url(f"/advocate/leads/{item}/outcome")
        twice = rng.random() < 0.1
        answers = [post(opener, url, fields) for _ in range(2 if twice else 1)]
        with self.lock:
            self.double_posts += twice
            if any(status == 303 for status, _ in answers):
                self.outcomes[item] += 1


# ---- the faults -----------------------------------------------------------------------------


class Faults:
    """Each fault in a thread of its own, at its moment in the plan."""

    def __init__(self, cluster: Cluster, plan: Plan, sink: Control, log: Log) -> None:
        self.cluster, self.plan, self.sink, self.log = cluster, plan, sink, log
        span = plan.span
        self.schedule: list[tuple[float, Callable[[], None]]] = [
            (span * 0.10, self.sink_refusing),
            (span * 0.20, self.sigterm_twice),
            (span * 0.35, self.redis_restart),
            (span * 0.50, self.redis_outage),
            (span * 0.70, self.sink_drops),
        ]
        self.threads = [threading.Thread(target=self._kills)] + [
            threading.Thread(target=self._at, args=(moment, fault))
            for moment, fault in self.schedule
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _at(self, moment: float, fault: Callable[[], None]) -> None:
        self.log.at(moment)
        fault()

    def _kills(self) -> None:
        at, turn = self.plan.kill_every, 0
        while at < self.plan.span:
            self.log.at(at)
            worker = self.cluster.workers[turn % len(self.cluster.workers)]
            self.cluster.restart(worker)
            self.log.note(f"{worker.name} SIGKILLed, restarted")
            at, turn = at + self.plan.kill_every, turn + 1

    def sigterm_twice(self) -> None:
        worker = self.cluster.workers[-1]
        began = time.monotonic()
        worker.signal(signal.SIGTERM)  # warm shutdown: finish what runs, take nothing new
        time.sleep(1.0)
        worker.signal(signal.SIGTERM)  # the operator again; Celery 5.5+ ignores it ...
        time.sleep(1.0)
        how = "warm shutdown finished"
        if worker.alive():
            worker.signal(signal.SIGQUIT)  # ... so the cold shutdown is asked for by SIGQUIT
            how = "cold shutdown (SIGQUIT) finished"
            if not worker.wait(30):
                worker.kill()
                how = "cold shutdown did not finish in 30 s: SIGKILLed"
        worker.kill()  # pool children a cold shutdown left behind
        worker.start()
        self.log.note(f"{worker.name} SIGTERM twice: {how} after "
                      f"{time.monotonic() - began:.1f} s, restarted")  # fmt: skip

    def redis_restart(self) -> None:
        self.cluster.restart(self.cluster.redis)
        self.log.note("Redis SIGKILLed, restarted empty")

    def redis_outage(self) -> None:
        self.cluster.redis.kill()
        self.log.note(f"Redis SIGKILLed, down for {self.plan.outage:.0f} s")
        time.sleep(self.plan.outage)
        self.cluster.redis.start()
        self.log.note("Redis back, empty")

    def sink_refusing(self) -> None:
        """451s for a while, and for at least ``refuse_min`` messages (the first emails may
        wait for their PDFs' layout, and for workers that were just killed)."""
        before = len(self.sink.records())
        self.sink.set(refuse_share=self.plan.refuse_share)
        self.log.note(f"SMTP answers 451 to {self.plan.refuse_share:.0%} of messages")
        until = time.monotonic() + (self.plan.refuse_seconds or self.plan.span * 0.3)
        cap = until + 180.0
        while time.monotonic() < cap and (
            time.monotonic() < until or len(self.sink.records()) - before < self.plan.refuse_min
        ):
            time.sleep(1.0)
        self.sink.set(refuse_share=0.0)
        self.log.note(f"SMTP answers 250 again ({len(self.sink.records()) - before} "
                      f"messages in the window)")  # fmt: skip

    def sink_drops(self) -> None:
        self.sink.set(drop_budget=self.plan.drops)
        self.log.note(f"SMTP drops the connection after DATA for the next {self.plan.drops}")


# ---- the checks -----------------------------------------------------------------------------

LEFT_SQL = """SELECT (SELECT count(*) FROM submissions WHERE processed_at IS NULL)
  + (SELECT count(*) FROM outbox_messages WHERE processed_at IS NULL AND gave_up_at IS NULL)
  + (SELECT count(*) FROM email_deliveries WHERE status IN ('pending', 'sending'))"""
DUPLICATES = {
    "phones with two open items": """SELECT phone_hash FROM queue_items
        WHERE status IN ('queued', 'claimed', 'retry_scheduled')
        GROUP BY phone_hash HAVING count(*) > 1""",
    "requests with two items": """SELECT callback_request_id FROM queue_items
        GROUP BY callback_request_id HAVING count(*) > 1""",
    "emails owed twice": """SELECT purpose, request_id, contact_id FROM email_deliveries
        GROUP BY purpose, request_id, contact_id HAVING count(*) > 1""",
    "matches recorded twice": """SELECT case_id, specialist_id FROM case_matches
        GROUP BY case_id, specialist_id HAVING count(*) > 1""",
    # a case's matches are recorded again when its person comes back with new facts: one
    # job a form is the most there may be
    "jobs made twice": """SELECT task_name, args::text FROM outbox_messages
        WHERE task_name <> 'matching.record_case_matches'
        GROUP BY task_name, args::text HAVING count(*) > 1
        UNION ALL SELECT task_name, args::text FROM outbox_messages AS m
        WHERE task_name = 'matching.record_case_matches'
        GROUP BY task_name, args::text HAVING count(*) > (SELECT count(*) FROM submissions s
          LEFT JOIN callback_requests c ON s.form = 'callback' AND c.id = s.request_id
          LEFT JOIN guide_requests g ON s.form = 'guide' AND g.id = s.request_id
          WHERE coalesce(c.case_id, g.case_id) = min((m.args->>0)::int))""",
    "forms that made two requests": """SELECT submission_key FROM (
        SELECT submission_key FROM callback_requests UNION ALL
        SELECT submission_key FROM guide_requests) AS r
        GROUP BY submission_key HAVING count(*) > 1""",
}


def rows(cluster: Cluster, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(cluster.sql_url, autocommit=True) as conn:
        return list(conn.execute(sql).fetchall())


def redeliveries(workdir: Path) -> int:
    """ "received" lines beyond the first for one task id, over every worker's log."""
    seen: collections.Counter[str] = collections.Counter()
    for log in workdir.glob("worker*.log"):
        for _name, task_id in TASK_LINE_RE.findall(log.read_text(errors="replace")):
            seen[task_id] += 1
    return sum(n - 1 for n in seen.values() if n > 1)


def check(
    cluster: Cluster, clients: Clients, advocates: Advocates, sink: Control, workdir: Path
) -> tuple[list[str], bool]:
    """The figures and whether every promise held."""
    count = cluster.count
    out: list[str] = []
    keys = ",".join(f"'{key}'" for key in clients.confirmed_keys) or "''"
    leads = ",".join(f"'{lead}'" for lead in clients.confirmed_leads) or "''"
    confirmations = len(clients.confirmed_keys) + len(clients.confirmed_leads)
    sealed = count("SELECT count(*) FROM submissions")
    processed = count("SELECT count(*) FROM submissions WHERE processed_at IS NOT NULL")
    kept = count(f"SELECT count(*) FROM submissions WHERE processed_at IS NOT NULL AND "
                 f"(submission_key IN ({keys}) OR lead_id IN ({leads}))")  # fmt: skip
    lost = confirmations - kept
    out.append(f"submissions sent         {clients.plan.n} ({dict(clients.sent)}); "
               f"{clients.retried} retries, {clients.refused} never confirmed")  # fmt: skip
    out.append(f"confirmations / sealed / processed   {confirmations} / {sealed} / {processed} "
               f"(lost: {lost})")  # fmt: skip

    # emails: what the database owes against what the sink took, by Message-ID
    deliveries = rows(cluster, "SELECT id, status, message_id, coalesce(reason, ''), "
                               "attempts FROM email_deliveries")  # fmt: skip
    records = sink.records()
    taken = collections.Counter(r["id"] for r in records if r["answer"] in ("250", "drop"))
    dropped = {r["id"] for r in records if r["answer"] == "drop"}
    states = collections.Counter(d[1] for d in deliveries)
    not_sendable = [d for d in deliveries if d[1] == "failed" and d[3].startswith("not sent:")]
    owed = [d for d in deliveries if d not in not_sendable and d[1] != "suppressed"]
    unknown = [d for d in owed if d[1] == "unknown"]
    missing = [d for d in owed if d[1] != "unknown" and taken[d[2]] == 0]
    unknown_taken = sum(1 for d in unknown if taken[d[2]])
    heard: dict[str, list[str]] = collections.defaultdict(list)
    for record in records:
        heard[record["id"]].append(record["answer"])
    # "unknown" although the server answered its last try (a reply for every try, the last
    # not a drop): the worker lost an answer it had (killed, or rolled back, before its commit)
    answers_lost = [d for d in unknown if heard[d[2]] and len(heard[d[2]]) >= d[4]
                    and heard[d[2]][-1] != "drop"]  # fmt: skip
    extra_in_window = sum(n - 1 for mid, n in taken.items() if n > 1 and mid in dropped)
    extra_outside = sum(n - 1 for mid, n in taken.items() if n > 1 and mid not in dropped)
    answers = collections.Counter(r["answer"] for r in records)
    offers = collections.Counter(r["offers"] for r in records if r["answer"] == "250")
    received = sum(1 for d in owed if taken[d[2]])
    out.append(f"emails owed / received   {len(owed)} / {received} by Message-ID "
               f"({len(missing)} missing; {len(unknown)} of unknown outcome, "
               f"{unknown_taken} of them received)")  # fmt: skip
    out.append(f"duplicate emails         {extra_outside} outside the DATA-drop window "
               f"({extra_in_window} inside it)")  # fmt: skip
    out.append(f"SMTP answers             {dict(answers)}; taken per offer {dict(offers)}")
    out.append(f"DATA drops               {answers['drop']} (messages taken, no answer heard: "
               f"their deliveries end unknown, never sent again)")  # fmt: skip
    out.append(f"answers lost             {len(answers_lost)} (unknown although the server "
               f"answered the last try: {[heard[d[2]][-1] for d in answers_lost]})")  # fmt: skip
    out.append(f"email states             {dict(states)} ({len(not_sendable)} refused as "
               f"unsendable: a non-ASCII address, a server without SMTPUTF8)")  # fmt: skip

    # the queue and the advocates
    requests = count("SELECT count(*) FROM callback_requests")
    items = count("SELECT count(*) FROM queue_items")
    joined = count("SELECT count(*) FROM callback_requests WHERE joined_item_id IS NOT NULL")
    open_twice = count("SELECT count(*) FROM (SELECT phone_hash FROM queue_items WHERE status "
                       "IN ('queued', 'claimed', 'retry_scheduled') GROUP BY phone_hash "
                       "HAVING count(*) > 1) AS x")  # fmt: skip
    claimers: dict[int, set[str]] = collections.defaultdict(set)
    for item, who in advocates.claims:
        claimers[item].add(who)
    by_two = sum(1 for who in claimers.values() if len(who) > 1)
    by_two_db = count(
        "SELECT count(*) FROM (SELECT target_id FROM audit_events WHERE action = "
        "'queue.claim' GROUP BY target_id HAVING count(DISTINCT actor_id) > 1) AS x"
    )
    attempts = dict(rows(cluster, "SELECT queue_item_id, count(*) FROM call_attempts "
                                  "GROUP BY queue_item_id"))  # fmt: skip
    twice = sum(max(0, n - advocates.outcomes[item]) for item, n in attempts.items())
    out.append(
        f"callback requests / queue items   {requests} / {items} "
        f"({joined} joined an open item; {open_twice} phones with two open items)"
    )
    out.append(f"advocates                {len(advocates.emails)}: {len(advocates.claims)} claims, "
               f"{sum(advocates.outcomes.values())} outcomes ({advocates.double_posts} posted "
               f"twice), {advocates.errors} errors")  # fmt: skip
    out.append(f"claimed by two advocates {by_two} (console) / {by_two_db} (audit log)")
    out.append(f"outcomes recorded twice  {twice}")

    again = redeliveries(workdir)
    rerun = count("SELECT count(*) FROM outbox_messages WHERE runs > 1")
    republished = count("SELECT count(*) FROM outbox_messages WHERE publish_attempts > 1")
    tried_again = count("SELECT count(*) FROM submissions WHERE attempts > 1")
    gave_up = count("SELECT count(*) FROM outbox_messages WHERE gave_up_at IS NOT NULL")
    stuck = count("SELECT count(*) FROM submissions WHERE processed_at IS NULL")
    doubled = {
        name: count(f"SELECT count(*) FROM ({sql}) AS x") for name, sql in DUPLICATES.items()
    }
    duplicates = sum(doubled.values())
    if doubled["jobs made twice"]:
        twins = rows(
            cluster,
            DUPLICATES["jobs made twice"].replace(
                "SELECT task_name, args::text", "SELECT task_name, args::text, count(*)"
            ),
        )
        out.append(f"jobs made twice          {twins[:10]}")
    out.append(f"redeliveries seen        {again + republished + tried_again} ({again} task "
               f"messages received again, {republished} jobs published again, {tried_again} "
               f"forms tried again; {rerun} jobs started more than once)")  # fmt: skip
    out.append(
        f"duplicate effects        {duplicates + extra_outside + twice + by_two} "
        f"({', '.join(f'{k} {v}' for k, v in doubled.items() if v) or 'none'})"
    )
    out.append(f"left                     {stuck} forms unprocessed, {gave_up} jobs waiting "
               f"for a person")  # fmt: skip
    ok = (
        lost == 0 and clients.refused == 0 and sealed >= confirmations and stuck == 0
        and not missing and not answers_lost and extra_outside == 0 and open_twice == 0
        and by_two == 0 and by_two_db == 0 and twice == 0 and duplicates == 0 and gave_up == 0
        and requests == items + joined
    )  # fmt: skip
    return out, ok


# ---- the run --------------------------------------------------------------------------------


def set_up_people(cluster: Cluster, advocates: int) -> tuple[str, list[str]]:
    """The partner API key and the advocates' accounts, made in the run's database."""
    saved = dict(os.environ)
    os.environ.update(cluster.env)
    try:
        from intake import create_app
        from intake.extensions import db
        from intake.services.inbox import api_keys
        from intake.services.staff import auth

        app = create_app()
        with app.app_context():
            session = db.session()
            key = api_keys.create_key(session, "Chaos Partner", "cli").secret
            emails = [f"advocate{n}@chaos.example.org" for n in range(advocates)]
            for email in emails:
                auth.create_user(session, email, "advocate", PASSWORD, f"Advocate {email[8]}")
            session.commit()
            db.engine.dispose()
        return key, emails
    finally:
        os.environ.clear()
        os.environ.update(saved)


def wait_ready(workers: list[Service], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(" ready." in w.log_path.read_text(errors="replace") for w in workers):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the workers were not ready within {timeout:.0f} s")


def run(plan: Plan, keep_logs: Path | None) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="intake-chaos-"))
    sink_port = free_port()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink_port), **plan.settings}
    cluster = Cluster(workdir, settings, workers=2, concurrency=1, prefix="intake_chaos")
    control = Control(workdir / "sink-control.json", workdir / "sink.jsonl")
    sink = Service(
        "sink",
        [str(BIN / "python"), "-m", "bench.chaos_sink", "--port", str(sink_port),
         "--record", str(control.record), "--control", str(control.control)],
        cluster.env, workdir,
    )  # fmt: skip
    advocates = None
    try:
        cluster.up(extra=[sink])
        wait_for_port(sink_port)
        api_key, emails = set_up_people(cluster, plan.advocates)
        wait_ready(cluster.workers, timeout=180)
        started = time.monotonic()
        log = Log(started)
        clients = Clients(cluster, plan, api_key, started)
        advocates = Advocates(cluster, emails)
        faults = Faults(cluster, plan, control, log)
        advocates.start()
        faults.start()
        clients.run()
        print(f"  [{log.clock():6.1f} s] all {plan.n} submissions sent", flush=True)
        faults.join()
        drained = cluster.drain(LEFT_SQL, plan.drain_timeout, log.note)
        since_fault = log.clock() - log.last_end if drained is not None else None
        advocates.stop()
        figures, ok = check(cluster, clients, advocates, control, workdir)
        for line in figures:
            print(line)
        drain_words = f"{since_fault:.1f} s" if since_fault is not None else "NOT DRAINED"
        print(f"drained after last fault {drain_words}")
        print(f"faults                   {len(log.lines)} events (above)")
        return ok and drained is not None
    finally:
        if advocates is not None:
            advocates.stopped.set()
        cluster.down(extra=[sink])
        if keep_logs is not None:
            shutil.copytree(workdir, keep_logs, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


# Production settings, but for retry and lease times a 10-minute run can see the end of:
# an email refused twice still goes within the run, and a send interrupted by a SIGKILL
# turns "unknown" after a minute rather than five.
DEFAULT_SETTINGS = ["EMAIL_RETRY_SECONDS=20", "EMAIL_SEND_LEASE_SECONDS=60"]
SMOKE = {
    "n": 150, "rate": 10.0, "kill_every": 5.0, "outage": 5.0, "drops": 2, "advocates": 2,
    "drain_timeout": 120.0, "refuse_seconds": 5.0, "refuse_min": 20, "variants": 1,
    "set": ["OUTBOX_REPUBLISH_SECONDS=4", "OUTBOX_RELAY_SECONDS=1",
            "SUBMISSION_SWEEP_GRACE_SECONDS=3", "EMAIL_RETRY_SECONDS=2",
            "EMAIL_SEND_LEASE_SECONDS=8"],
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="submissions")
    parser.add_argument("--rate", type=float, default=8.0, help="submissions a second")
    parser.add_argument("--advocates", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds Redis stays down")
    parser.add_argument("--drops", type=int, default=3, help="connections dropped after DATA")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--refuse-seconds", type=float, help="how long the 451s last")
    parser.add_argument("--refuse-min", type=int, default=100, help="... and for how many")
    parser.add_argument("--variants", type=int, default=2, choices=[1, 2], help="guide variants")
    parser.add_argument("--logs", type=Path, help="keep every process's log in this folder")
    parser.add_argument("--set", action="append", default=DEFAULT_SETTINGS,
                        metavar="NAME=VALUE", help="a setting for every process")  # fmt: skip
    args = parse_args(parser, SMOKE)
    plan = Plan(
        n=args.n, rate=args.rate, advocates=args.advocates, kill_every=args.kill_every,
        outage=args.outage, drops=args.drops, drain_timeout=args.drain_timeout,
        refuse_seconds=args.refuse_seconds, refuse_min=args.refuse_min, variants=args.variants,
        settings=dict(item.split("=", 1) for item in args.set),
    )  # fmt: skip
    print(f"{plan.n} submissions at {plan.rate:g}/s from {plan.clients} clients over "
          f"{plan.span:.0f} s; {plan.advocates} advocates; a worker SIGKILLed every "
          f"{plan.kill_every:g} s; Redis down {plan.outage:g} s; settings {plan.settings}",
          flush=True)  # fmt: skip
    ok = run(plan, args.logs)
    print("RESULT", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
