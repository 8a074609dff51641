"""Generated hostile input on every public form and API: no 500, no header injection, no bad row.

    python bench/fuzz.py                    # 2,000 inputs
    python bench/fuzz.py --n 100000 --seed 7
    python bench/fuzz.py --smoke            # a few dozen inputs: proves it still runs

Hypothesis generates requests for the guide and callback forms, the
deletion form and the secret links, the match page, ``/api/v1/match``,
``POST /api/v1/leads`` (a partner key, Idempotency-Keys new, reused and
hostile) and the admins' person search (see ``bench/fuzz_targets.py``),
sent in this process through Flask's test client to the real app on a
throw-away PostgreSQL database.  After each chunk of inputs the worker's
steps run here too (``bench/fuzz_checks.py``): the inbox, every outbox job,
the guide emails to an aiosmtpd sink of the run's own, the match queries.

It prints inputs by target and status, then the findings: server errors
(a status of 500 or more, or an exception), email header injections (a
message that does not parse into exactly our headers, one line each),
rows that break a later page (a job that fails, a case the matcher
refuses, a lead page or person search that does not render, a guide PDF
that does not open), and ends with ``RESULT ok`` only when there are none.
"""

from __future__ import annotations

import argparse
import base64
import collections
import importlib
import logging
import os
import pkgutil
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_name, free_port  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = database_name("intake_fuzz_bench")
WORK = Path(tempfile.mkdtemp(prefix="intake-fuzz-bench-"))
SINK_PORT = free_port()
PASSWORD = secrets.token_urlsafe(16)
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

os.environ.update({
    "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/2",  # nothing is published: no worker reads it
    "SECRET_KEY": secrets.token_urlsafe(48),
    "SESSION_COOKIE_SECURE": "false",
    "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "INTAKE_INSTANCE_PATH": str(WORK / "instance"),
    "GUIDE_CACHE_DIR": str(WORK / "guide-cache"),
    "RATELIMIT_ENABLED": "false",
    "OUTBOX_PUBLISH_AFTER_COMMIT": "false",  # the jobs run in this process (fuzz_checks)
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": str(SINK_PORT),
    "PUBLIC_BASE_URL": "https://support.example.org",
})  # fmt: skip
os.environ.pop("CELERY_BROKER_URL", None)


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Browser:
    """A test client with its session's CSRF token."""

    client: Any
    token: str


def browser(app: Any, path: str = "/guide") -> Browser:
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    found = TOKEN_RE.search(page)
    assert found, f"{path} rendered no CSRF token"
    return Browser(client, found.group(1))


def signed_in_admin(app: Any) -> Browser:
    """An admin signed in through /login and its second step (the console pages need one)."""
    import pyotp

    from intake.extensions import db
    from intake.models.base import utcnow
    from intake.services.staff import auth

    with app.app_context():
        email = "fuzz-admin@staff.example.org"
        user = auth.create_user(db.session(), email, "admin", PASSWORD, "Fuzz Admin", ())
        secret = pyotp.random_base32()
        user.totp_secret, user.totp_enabled_at = secret, utcnow()
        db.session.commit()
    staff = browser(app, "/login")
    staff.client.post("/login", data={"csrf_token": staff.token, "email": email,
                                      "password": PASSWORD})  # fmt: skip
    staff = browser_again(staff, "/login/second-factor")  # a new session, a new token
    code = pyotp.TOTP(secret).now()
    done = staff.client.post("/login/second-factor", data={"csrf_token": staff.token, "code": code})
    assert done.status_code == 303, f"the admin could not sign in: {done.status_code}"
    return browser_again(staff, "/admin/people")


def browser_again(staff: Browser, path: str) -> Browser:
    """The same client, with the token its signed-in session renders."""
    found = TOKEN_RE.search(staff.client.get(path).get_data(as_text=True))
    assert found, f"{path} rendered no CSRF token"
    return Browser(staff.client, found.group(1))


def partner_key(app: Any) -> str:
    from intake.extensions import db
    from intake.services.inbox import api_keys

    with app.app_context():
        secret = api_keys.create_key(db.session(), "Fuzz Partner", "cli").secret
        db.session.commit()
    return str(secret)


class Runner:
    """Sends each generated request and counts what came back."""

    def __init__(self, app: Any, findings: Any) -> None:
        self.app, self.findings = app, findings
        self.public, self.other = browser(app), browser(app)
        self.staff = signed_in_admin(app)
        self.key = partner_key(app)
        self.last_idempotency_key = str(uuid.uuid4())
        self.by_target: collections.Counter[str] = collections.Counter()
        self.by_status: collections.Counter[tuple[str, int]] = collections.Counter()
        self.seconds = 0.0

    def send(self, request: Any) -> None:
        started = time.perf_counter()
        self.by_target[request.target] += 1
        try:
            response = self._open(request)
            status = response.status_code
            response.get_data()
            response.close()  # the after-response hooks run, as a WSGI server runs them
        except Exception as exc:
            self.findings.add("server", f"{type(exc).__name__}: {exc} <- {request.describe()}")
            status = -1
        else:
            if status >= 500:
                self.findings.add("server", f"{status} <- {request.describe()}")
        self.by_status[(request.target, status)] += 1
        self.seconds += time.perf_counter() - started

    def _open(self, request: Any) -> Any:
        who = self.staff if request.as_staff else self.public
        body = request.body
        if request.content_type == "application/x-www-form-urlencoded" and request.method == "POST":
            token = {"good": who.token, "garbage": "x" * 40, "other": self.other.token}.get(
                request.csrf
            )
            if token is not None:
                body = (body + b"&" if body else b"") + b"csrf_token=" + token.encode()
        headers = dict(request.headers)
        if request.target == "api_leads":
            headers = self._api_headers(headers)
        query = "&".join(
            urllib.parse.quote_from_bytes(k.encode("utf-8", "surrogatepass")) + "="
            + urllib.parse.quote_from_bytes(v.encode("utf-8", "surrogatepass"))
            for k, v in request.query
        )  # fmt: skip
        return who.client.open(request.path, method=request.method, data=body,
                               content_type=request.content_type, query_string=query,
                               headers=headers)  # fmt: skip

    def _api_headers(self, wanted: dict[str, str]) -> dict[str, str]:
        auth, idem = wanted.pop("X-Fuzz-Auth"), wanted.pop("X-Fuzz-Idem")
        headers = {"Authorization": {"good": f"Bearer {self.key}", "garbage": "Bearer mik_x",
                                     "scheme": f"Basic {self.key}"}.get(auth, "")}  # fmt: skip
        if not headers["Authorization"]:
            headers.pop("Authorization")
        if idem == "new":
            self.last_idempotency_key = str(uuid.uuid4())
            headers["Idempotency-Key"] = self.last_idempotency_key
        elif idem == "reuse":
            headers["Idempotency-Key"] = self.last_idempotency_key
        elif idem == "hostile":
            headers["Idempotency-Key"] = wanted.pop("Idempotency-Key", "")
        return headers


class ErrorLog(logging.Handler):
    """Counts the application's ERROR lines (a caught failure still says something broke)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines[f"{record.name}: {record.getMessage()}"[:200]] += 1


def generate(runner: Runner, n: int, seed: int) -> None:
    """``n`` requests drawn by Hypothesis (generation only: no shrinking, no example database)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    from bench.fuzz_targets import requests

    @with_seed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(requests())
    def send(request: Any) -> None:
        runner.send(request)

    send()


def run(args: argparse.Namespace) -> bool:
    from flask_migrate import upgrade

    from bench import fuzz_checks
    from intake import create_app
    from intake.extensions import db
    from intake.services.directory import specialists

    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    app = create_app()
    for module in pkgutil.iter_modules([str(ROOT / "worker" / "tasks")]):
        importlib.import_module(f"worker.tasks.{module.name}")  # registers each shared task

    sink = fuzz_checks.Sink(SINK_PORT).start()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    findings = fuzz_checks.Findings()
    glyphs = fuzz_checks.MissingGlyphs(findings)
    logging.getLogger("weasyprint").addHandler(glyphs)
    logging.getLogger("weasyprint").propagate = False  # counted here, not printed line by line
    totals: collections.Counter[str] = collections.Counter()
    try:
        with app.app_context():
            upgrade()
            specialists.load_demo(db.session())
            db.session.commit()
        logging.getLogger().setLevel(logging.ERROR)  # the migrations' and the sink's INFO aside
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        runner = Runner(app, findings)
        started = time.monotonic()
        after = {"item": 0, "contact": 0, "case": 0}
        failed_jobs: set[int] = set()
        sent = 0
        while sent < args.n:
            chunk = min(args.chunk, args.n - sent)
            generate(runner, chunk, args.seed * 1_000_003 + sent)
            sent += chunk
            work_started = time.perf_counter()
            totals["forms processed"] += fuzz_checks.process_inbox(app, findings)
            totals.update(fuzz_checks.run_jobs(app, findings, failed_jobs))
            cases, after["case"] = fuzz_checks.check_cases(app, findings, after["case"])
            totals["cases checked"] += cases
            for rcpts, raw in sink.take():
                totals["emails checked"] += 1
                totals["guide PDFs opened"] += fuzz_checks.check_message(rcpts, raw, findings)
            totals["pages rendered"] += fuzz_checks.check_pages(app, runner.staff, findings, after)
            totals["worker seconds"] += time.perf_counter() - work_started
            elapsed = time.monotonic() - started
            print(f"  {sent:,} inputs, {elapsed:.0f} s, {findings.total} findings", flush=True)
            if args.max_minutes and elapsed > args.max_minutes * 60 and sent < args.n:
                print(f"stopped after {args.max_minutes:g} minutes (--max-minutes)")
                break
        totals["glyphs no font has"] = sum(glyphs.uncovered.values())
        totals["characters no font has"] = len(glyphs.uncovered)
        return report(runner, findings, totals, errors, sent, time.monotonic() - started)
    finally:
        sink.stop()
        with app.app_context():
            db.engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        shutil.rmtree(WORK, ignore_errors=True)


def report(runner: Runner, findings: Any, totals: Any, errors: ErrorLog, sent: int,
           elapsed: float) -> bool:  # fmt: skip
    """Print the figures; whether the run found nothing."""
    print(f"\ninputs                   {sent:,} in {elapsed:.0f} s ({sent / elapsed:.1f} inputs/s; "
          f"requests {runner.seconds:.0f} s, worker steps and checks "
          f"{totals['worker seconds']:.0f} s)")  # fmt: skip
    for target, n in sorted(runner.by_target.items()):
        statuses = sorted((s, c) for (t, s), c in runner.by_status.items() if t == target)
        print(f"  {target:<16} {n:>7,}   " + ", ".join(f"{s}: {c}" for s, c in statuses))
    jobs = {k: v for k, v in totals.items() if "." in k}
    print(f"worker                   {totals['forms processed']:,} forms processed; jobs run: "
          + ", ".join(f"{k} {v}" for k, v in sorted(jobs.items())))  # fmt: skip
    print(f"checked                  {totals['emails checked']:,} emails, "
          f"{totals['guide PDFs opened']:,} guide PDFs, {totals['cases checked']:,} cases, "
          f"{totals['pages rendered']:,} staff pages")  # fmt: skip
    counts = findings.counts
    print(
        f"glyphs no installed font has  {totals['glyphs no font has']} "
        f"({totals['characters no font has']} characters: a font to install, not a finding)"
    )
    print(f"server errors            {counts['server']}")
    print(f"header injections        {counts['header']}")
    broken = sum(counts[kind] for kind in ("job", "case", "page", "pdf", "inbox", "glyph"))
    print(f"rows that break a page   {broken} "
          f"(jobs {counts['job']}, cases {counts['case']}, pages {counts['page']}, "
          f"PDFs {counts['pdf']}, glyphs {counts['glyph']}, inbox {counts['inbox']})")  # fmt: skip
    print(f"findings                 {findings.total}")
    print(f"application ERROR lines  {sum(errors.lines.values())}")
    for line, n in errors.lines.most_common(8):
        print(f"    {n:>6} x {line}")
    for example in findings.examples[:40]:
        print(f"  - {example}")
    ok = findings.total == 0
    print("RESULT ok" if ok else "RESULT FAILED")
    return ok


SMOKE = {"n": 24, "chunk": 24}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="generated inputs")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis's seed (same inputs)")
    parser.add_argument("--chunk", type=int, default=1000,
                        help="inputs between worker steps and checks")  # fmt: skip
    parser.add_argument("--max-minutes", type=float, default=0,
                        help="stop generating after this long (0: never)")  # fmt: skip
    args = parse_args(parser, SMOKE)
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
