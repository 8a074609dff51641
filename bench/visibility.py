"""Redis's visibility timeout shorter than the jobs: redeliveries happen, duplicate effects do not.

    python bench/visibility.py                 # visibility 10 s, SMTP answers DATA after 30 s
    python bench/visibility.py --guides 40 --callbacks 20
    python bench/visibility.py --smoke         # visibility 2 s, 6 s answers: proves it runs

Celery's Redis transport hands any message not acknowledged within
``visibility_timeout`` to a worker again, and our tasks acknowledge late:
a job that runs longer than the timeout is handed to a second worker while
the first still runs it.  This run makes that the rule rather than the
exception, on loopback: a fresh PostgreSQL database, a ``redis-server`` of
its own, two Celery workers (prefork, 2 processes each: ``worker1`` for
forms and the callback queue, ``worker2`` a mailer for the email queue, as
docker-compose.yml runs them; ``--shared`` lets both take both) and beat with
``BROKER_VISIBILITY_TIMEOUT`` at 10 s, and an SMTP sink of its own (a thread
here) that answers the end of DATA only after 30 s and refuses the first
try for half the recipients with 451, so their emails wait for a retry
(``EMAIL_RETRY_SECONDS`` 30: due 15 to 30 s later, as a due time in the
database).  Guide requests and callback requests go in through the real
forms (the Flask test client, in this process); then it waits until every
form, job and email is done and no task is left with the broker, and prints:

- redeliveries seen: each task id's "received" lines in the workers' logs
  beyond the first (Redis handing the same message out again);
- duplicate effects: emails received by the sink more than once per
  recipient or per Message-ID, queue items per phone, requests per contact,
  consents, matches and jobs doubled;
- emails owed and received (0 missing), and the emails' final states.

``RESULT ok`` only when redeliveries > 0 (the run did exercise them) and
duplicate effects, missing emails and unfinished work are all 0.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_name, free_port, redis_server  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE = database_name("intake_visibility_bench")
WORK = Path(tempfile.mkdtemp(prefix="intake-visibility-bench-"))
SINK_PORT, REDIS_PORT = free_port(), free_port()
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
# a worker's log line: "2026-12-05 12:06:02,439 INFO celery...: Task emails.send[<id>] received"
TASK_LINE_RE = re.compile(
    r"^(\S+ \S+) \w+ [\w.]+: Task ([\w.]+)\[([0-9a-f-]{36})\] (received|succeeded)", re.M
)
HOUSEKEEPING = {"outbox.relay", "submissions.sweep", "queue.expire_leases", "queue.check_sla",
                "submissions.purge", "privacy.retention"}  # fmt: skip


def environment(args: argparse.Namespace) -> None:
    """Every process of the run reads its settings from here (the workers inherit them)."""
    os.environ.update({
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "false",
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "INTAKE_INSTANCE_PATH": str(WORK / "instance"),
        "GUIDE_CACHE_DIR": str(WORK / "guide-cache"),
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_PUBLISH_AFTER_COMMIT": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(SINK_PORT),
        # the client must wait longer than the server takes, or every email ends "unknown"
        "SMTP_TIMEOUT": str(args.smtp_timeout or args.delay * 2 + 10),
        "BROKER_VISIBILITY_TIMEOUT": str(args.visibility),
        "EMAIL_RETRY_SECONDS": str(args.retry),
        "OUTBOX_RELAY_SECONDS": str(args.relay),
        "SUBMISSION_SWEEP_GRACE_SECONDS": str(args.relay * 3),
    })  # fmt: skip
    os.environ.pop("CELERY_BROKER_URL", None)


class SlowSink:
    """An SMTP server that is slow to answer DATA and refuses some first tries with 451.

    It notes every message it received whole (recipient, Message-ID), whether
    or not the client was still there for the answer: a message the server
    holds is delivered, and a second one to the same person is a duplicate.
    """

    def __init__(self, delay: float, refuse_share: float) -> None:
        self.delay, self.refuse_share = delay, refuse_share
        self.received: list[tuple[str, str]] = []
        self.refused = 0
        self.tried: collections.Counter[str] = collections.Counter()
        self.stopped = threading.Event()

    def refuses(self, recipient: str) -> bool:
        """The first try to this recipient gets a 451 (for ``refuse_share`` of them)."""
        share = zlib.crc32(recipient.encode()) % 100 < self.refuse_share * 100
        return share and self.tried[recipient] == 1

    async def session(self, reader: Any, writer: Any) -> None:
        writer.write(b"220 slow sink ESMTP\r\n")
        recipient: str | None = None
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(
                        b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n"
                    )
                elif verb == b"RCPT":
                    address = line.decode().split(":", 1)[1].strip().strip("<>").lower()
                    self.tried[address] += 1
                    if self.refuses(address):
                        self.refused += 1
                        writer.write(b"451 4.3.0 try again later\r\n")
                    else:
                        recipient = address
                        writer.write(b"250 2.1.5 OK\r\n")
                elif verb == b"DATA" and recipient is None:
                    writer.write(b"554 5.5.1 no valid recipients\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    content = await reader.readuntil(b"\r\n.\r\n")
                    found = re.search(rb"^Message-ID:\s*(<[^>]+>)", content[:8192], re.I | re.M)
                    self.received.append((recipient, found.group(1).decode() if found else "-"))
                    recipient = None
                    await asyncio.sleep(self.delay)  # a slow server: the answer comes late
                    writer.write(b"250 2.0.0 OK\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:  # MAIL, RSET, NOOP
                    recipient = None if verb == b"RSET" else recipient
                    writer.write(b"250 2.0.0 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def serve(self) -> None:
        async def run() -> None:
            server = await asyncio.start_server(self.session, "127.0.0.1", SINK_PORT, limit=2**27)
            async with server:
                while not self.stopped.is_set():
                    await asyncio.sleep(0.2)

        threading.Thread(target=asyncio.run, args=(run(),), daemon=True).start()


class Processes:
    """The Celery workers and beat, stopped whatever happens."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *argv: str) -> None:
        with (WORK / f"{name}.log").open("ab") as out:
            command = [str(BIN / "python"), "-m", "celery", "-A", "worker", *argv]
            self.children.append(
                subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
            )

    def wait_ready(self, names: list[str], timeout: float) -> None:
        """Until each worker logged "ready" (on a loaded machine the warm-up takes a while)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = [WORK / f"{name}.log" for name in names]
            if all(log.exists() and " ready." in log.read_text(errors="replace") for log in logs):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the workers were not ready within {timeout:.0f} s")

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()


def submit(app: Any, guides: int, callbacks: int, callbacks_after: float = 0.0) -> list[str]:
    """Guide and callback requests through the real forms; the guide emails' addresses.

    The callback forms come ``callbacks_after`` seconds after the guides, when
    the guide emails hold the processes that send them (waiting on the slow
    server): how long a callback then waits for its queue item is what the
    email queue of its own is for.
    """
    client = app.test_client()
    addresses = []
    for n in range(guides + callbacks):
        kind = "guide" if n < guides else "callback"
        if n == guides and callbacks_after:
            time.sleep(callbacks_after)
        page = client.get(f"/{kind}").get_data(as_text=True)
        data: dict[str, Any] = {
            "csrf_token": TOKEN_RE.search(page).group(1),  # type: ignore[union-attr]
            "submission_key": KEY_RE.search(page).group(1),  # type: ignore[union-attr]
            "first_name": "Slow", "last_name": f"Reader{n}", "email": f"vt{n}@example.com",
            "relationship": "self", "diagnosis_type": "pleural", "stage": "3", "veteran": "no",
        }  # fmt: skip
        if kind == "guide":
            data.update(topics=["treatment", "financial"], deliver_email="y")
            if n % 3 == 0:  # a third with a ZIP: a matches page in the PDF, a matching job
                data["zip"] = "60601"
            addresses.append(data["email"])
        else:
            data.update(phone=f"(312) 555-{n:04d}", zip="60601", best_time="asap",
                        language="en", consent_calls="y")  # fmt: skip
        response = client.post(f"/{kind}", data=data)
        response.close()  # the after-response announcement, as a WSGI server runs it
        assert response.status_code == 303, f"{kind} form refused: {response.status_code}"
    return addresses


def count(app: Any, sql: str) -> int:
    from sqlalchemy import text

    from intake.extensions import db

    with app.app_context():
        value = db.session.execute(text(sql)).scalar()
        db.session.remove()
        return int(value or 0)


LEFT_SQL = """SELECT (SELECT count(*) FROM submissions WHERE processed_at IS NULL)
  + (SELECT count(*) FROM outbox_messages WHERE processed_at IS NULL AND gave_up_at IS NULL)
  + (SELECT count(*) FROM email_deliveries WHERE status IN ('pending', 'sending'))"""
DUPLICATES_SQL = """SELECT
  (SELECT count(*) FROM (SELECT phone_hash FROM queue_items
     GROUP BY phone_hash HAVING count(*) > 1) AS items)
+ (SELECT count(*) FROM (SELECT contact_id FROM callback_requests
     GROUP BY contact_id HAVING count(*) > 1) AS callbacks)
+ (SELECT count(*) FROM (SELECT contact_id FROM guide_requests
     GROUP BY contact_id HAVING count(*) > 1) AS guides)
+ (SELECT count(*) FROM (SELECT contact_id, purpose FROM consent_records
     GROUP BY contact_id, purpose HAVING count(*) > 1) AS consents)
+ (SELECT count(*) FROM (SELECT case_id, specialist_id FROM case_matches
     GROUP BY case_id, specialist_id HAVING count(*) > 1) AS matches)
+ (SELECT count(*) FROM (SELECT task_name, args::text FROM outbox_messages
     GROUP BY task_name, args::text HAVING count(*) > 1) AS jobs)"""


QUEUED_AFTER_SQL = """SELECT ceil(max(extract(epoch FROM q.created_at - s.received_at)))
  FROM queue_items q JOIN submissions s ON s.request_id = q.callback_request_id
  AND s.form = 'callback'"""


def broker_busy() -> int:
    """Tasks still queued or unacknowledged in Redis, beat's housekeeping aside."""
    import redis

    from intake.tasking import DEFAULT_QUEUE, EMAIL_QUEUE

    client = redis.Redis(port=REDIS_PORT)
    messages = [json.loads(raw)[0] for raw in client.hvals("unacked")]
    for queue in (DEFAULT_QUEUE, EMAIL_QUEUE):
        messages += [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return sum(1 for m in messages if m["headers"]["task"] not in HOUSEKEEPING)


def drain(app: Any, timeout: float) -> float | None:
    """Seconds until every form, job and email is done and the broker holds no task; or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if count(app, LEFT_SQL) == 0 and broker_busy() == 0:
            return time.monotonic() - started
        time.sleep(1.0)
    return None


def redeliveries() -> tuple[collections.Counter[str], int]:
    """Per task name, "received" lines beyond the first for one task id (both workers' logs);
    and how many of those came before any copy of the task had finished (a second worker
    handed a job the first still held)."""
    received: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    finished: dict[str, str] = {}
    for log in WORK.glob("worker*.log"):
        for at, name, task_id, what in TASK_LINE_RE.findall(log.read_text(errors="replace")):
            if what == "received":
                received[(name, task_id)].append(at)
            else:
                finished[task_id] = min(finished.get(task_id, at), at)
    again: collections.Counter[str] = collections.Counter()
    overlapping = 0
    for (name, task_id), times in received.items():
        later = sorted(times)[1:]
        again[name] += len(later)
        overlapping += sum(1 for at in later if at < finished.get(task_id, "9"))
    return +again, overlapping


def report(app: Any, sink: SlowSink, addresses: list[str], drained: float | None) -> bool:
    """Print the figures; whether the run is ok."""
    again, overlapping = redeliveries()
    per_recipient = collections.Counter(recipient for recipient, _ in sink.received)
    per_id = collections.Counter(message_id for _, message_id in sink.received)
    by_recipient = sum(n - 1 for n in per_recipient.values() if n > 1)
    by_id = sum(n - 1 for n in per_id.values() if n > 1)
    doubled_sink = max(by_recipient, by_id)  # extra messages, by either key
    doubled_db = count(app, DUPLICATES_SQL)
    missing = len(set(addresses) - set(per_recipient))
    states = {s: count(app, f"SELECT count(*) FROM email_deliveries WHERE status = '{s}'")
              for s in ("sent", "unknown", "failed", "pending", "sending")}  # fmt: skip
    jobs = count(app, "SELECT count(*) FROM outbox_messages")
    gave_up = count(app, "SELECT count(*) FROM outbox_messages WHERE gave_up_at IS NOT NULL")
    republished = count(app, "SELECT count(*) FROM outbox_messages WHERE publish_attempts > 1")
    items = count(app, "SELECT count(*) FROM queue_items")
    by_task = ", ".join(f"{name} {n}" for name, n in sorted(again.items())) or "none"
    print(f"redeliveries seen        {sum(again.values())} ({by_task}; "
          f"{overlapping} before the first copy had finished)")  # fmt: skip
    print(f"duplicate effects        {doubled_sink + doubled_db} "
          f"(extra emails at the sink: {by_recipient} by recipient, {by_id} by Message-ID; "
          f"{doubled_db} in the database)")  # fmt: skip
    print(
        f"emails owed / received   {len(addresses)} / {len(per_recipient)} "
        f"({missing} missing; {len(sink.received)} messages, {sink.refused} refused with 451)"
    )
    print(f"email states             {', '.join(f'{k} {v}' for k, v in states.items())}")
    waited = count(app, QUEUED_AFTER_SQL)
    print(f"queue items              {items} (the last queued {waited} s after its form)")
    print(f"jobs                     {jobs} ({republished} published again by the relay, "
          f"{gave_up} waiting for a person)")  # fmt: skip
    print(f"drained                  {f'{drained:.0f} s after the last form' if drained else 'NO'}")
    return (
        sum(again.values()) > 0
        and doubled_sink + doubled_db == 0
        and missing == 0
        and gave_up == 0
        and states["sent"] == len(addresses)
        and drained is not None
    )


def run(args: argparse.Namespace) -> bool:
    from flask_migrate import upgrade

    from intake import create_app
    from intake.extensions import db
    from intake.services.directory import specialists
    from intake.tasking import EMAIL_QUEUE

    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    app = create_app()
    sink, processes = SlowSink(args.delay, args.refuse_share), Processes()
    try:
        with app.app_context():
            upgrade()
            specialists.load_demo(db.session())
            db.session.commit()
        sink.serve()
        # worker1: forms and the callback queue; worker2: the mailer
        queues = {
            "worker1": ["--exclude-queues", EMAIL_QUEUE],
            "worker2": ["--queues", EMAIL_QUEUE],
        }
        for name in ("worker1", "worker2"):
            processes.start(name, "worker", "--pool", "prefork", "--concurrency", "2",
                            "--loglevel", "INFO", "--hostname", f"{name}@%h",
                            "--without-mingle", "--without-gossip",
                            *([] if args.shared else queues[name]))  # fmt: skip
        processes.wait_ready(["worker1", "worker2"], timeout=120)
        processes.start("beat", "beat", "--loglevel", "WARNING", "--schedule", str(WORK / "beat"))
        callbacks_after = args.delay / 2 if args.callbacks_after is None else args.callbacks_after
        addresses = submit(app, args.guides, args.callbacks, callbacks_after)
        queues = "both take both queues" if args.shared else "worker1 forms, worker2 emails"
        print(
            f"sent {args.guides} guide requests and, {callbacks_after:g} s later, "
            f"{args.callbacks} callback requests ({queues})",
            flush=True,
        )
        drained = drain(app, args.timeout)
        return report(app, sink, addresses, drained)
    finally:
        processes.stop()
        sink.stopped.set()
        with app.app_context():
            db.engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


# A smoke run: the same shape with every time cut down (visibility 2 s, 6 s answers).
SMOKE = {"guides": 4, "callbacks": 2, "visibility": 2.0, "delay": 6.0, "retry": 6.0,
         "relay": 1.0, "timeout": 150.0}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=24, help="guide requests (one email each)")
    parser.add_argument("--callbacks", type=int, default=12, help="callback requests")
    parser.add_argument("--visibility", type=float, default=10.0, help="BROKER_VISIBILITY_TIMEOUT")
    parser.add_argument("--delay", type=float, default=30.0, help="seconds to answer DATA")
    parser.add_argument("--retry", type=float, default=30.0, help="EMAIL_RETRY_SECONDS")
    parser.add_argument("--refuse-share", type=float, default=0.5, help="first tries refused")
    parser.add_argument("--smtp-timeout", type=float, help="SMTP_TIMEOUT (twice --delay + 10)")
    parser.add_argument("--relay", type=float, default=5.0, help="OUTBOX_RELAY_SECONDS")
    parser.add_argument("--timeout", type=float, default=900.0, help="longest wait for the drain")
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    parser.add_argument(
        "--callbacks-after",
        type=float,
        help="seconds between the guide forms and the callback forms (half of --delay)",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="both workers take both queues (before emails had workers of their own)",
    )
    args = parse_args(parser, SMOKE)
    environment(args)
    print(f"visibility timeout {args.visibility:g} s; SMTP answers DATA after {args.delay:g} s; "
          f"{args.refuse_share:.0%} of first tries refused (retry after "
          f"{args.retry / 2:g}-{args.retry:g} s); 2 workers x 2 processes", flush=True)  # fmt: skip
    try:
        with redis_server(REDIS_PORT, WORK):
            ok = run(args)
    finally:
        if args.logs:
            shutil.copytree(WORK, args.logs, dirs_exist_ok=True)
        shutil.rmtree(WORK, ignore_errors=True)
    print("RESULT", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
