"""Intake POST throughput and latency against a one-insert baseline, in one run.

    python bench/form_intake.py       # in-process (test client) and gunicorn, 16 connections
    python bench/form_intake.py --smoke   # a few seconds of each: proves it still runs

All endpoints run in the same app on a fresh PostgreSQL database (created,
migrated, dropped) with the after-commit announcement publishing to Redis,
as in production (no worker consumes it here).  Prints throughput ratios
(full intake / baseline) and latency percentiles, then times the worker
step on the forms received; record the figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.client
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import database_name, free_port  # noqa: E402
from bench.smoke import parse_args  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = database_name("intake_bench")
INSTANCE = Path(tempfile.mkdtemp(prefix="intake-bench-instance-"))
os.environ.update(
    {
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}",
        "REDIS_URL": "redis://127.0.0.1:6379/2",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "INTAKE_INSTANCE_PATH": str(INSTANCE),
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_PUBLISH_AFTER_COMMIT": "true",
    }
)
os.environ.pop("CELERY_BROKER_URL", None)
if "--no-relay" in sys.argv:  # to see what the after-commit relay costs
    os.environ["OUTBOX_PUBLISH_AFTER_COMMIT"] = "false"

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def fresh_database() -> None:
    from flask_migrate import upgrade

    from bench.bench_app import create_bench_app

    admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{BENCH_DB}"')
    with create_bench_app().app_context():
        upgrade()


def callback_payload(n: int, rng: random.Random) -> dict[str, str]:
    """A new person each time (for the worker: the costly path of new contact, case, consent)."""
    return {
        "submission_key": f"00000000-0000-4000-8000-{n:012d}",
        "first_name": "Bench",
        "last_name": f"Person{n}",
        "phone": f"(312) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        "email": f"bench{n}-{rng.randint(0, 10**9)}@example.com",
        "relationship": "self",
        "diagnosis_type": "pleural",
        "stage": "2",
        "zip": "60601",
        "veteran": "no",
        "best_time": "asap",
        "language": "en",
        "consent_calls": "y",
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "p50": pick(0.50),
        "p90": pick(0.90),
        "p99": pick(0.99),
        "mean": statistics.fmean(ordered) * 1000,
    }


ENDPOINTS = {  # name: (path, expected status, whether it takes the callback form)
    "baseline": ("/bench/baseline", 201, False),
    "form+1": ("/bench/form-baseline", 201, True),
    "intake": ("/callback", 303, True),
}


def request_for(name: str, token: str, seq: int, rng: random.Random) -> tuple[str, dict, int]:
    """Path, form data and expected status of one POST to an endpoint."""
    path, expect, full_form = ENDPOINTS[name]
    data = callback_payload(seq, rng) if full_form else {"first_name": "Bench"}
    return path, {"csrf_token": token, **data}, expect


def in_process(requests: int) -> dict[str, dict[str, float]]:
    """Flask test client, one thread: the app's own cost without HTTP parsing."""
    from bench.bench_app import create_bench_app

    app = create_bench_app()
    client = app.test_client()
    token = TOKEN_RE.search(client.get("/callback").get_data(as_text=True)).group(1)
    rng = random.Random(7)
    results = {}
    for round_ in range(2):  # twice, keep the second (warm)
        for name in ENDPOINTS:
            times = []
            for n in range(requests):
                seq = (round_ * 10 + list(ENDPOINTS).index(name)) * 10**6 + n
                path, data, expect = request_for(name, token, seq, rng)
                start = time.perf_counter()
                response = client.post(path, data=data)
                response.close()
                times.append(time.perf_counter() - start)
                assert response.status_code == expect, (path, response.status_code)
                results[name] = {"rps": requests / sum(times), **percentiles(times)}
    return results


def interleaved_cpu(requests: int) -> dict[str, float]:
    """Microseconds of this thread's CPU per request, the endpoints taking turns request by
    request in an order shuffled each turn (Flask test client).

    The steadiest figure this bench has: CPU time leaves out waits and other
    processes, and a drift in the machine's speed hits every endpoint alike.
    It leaves out what no request thread does: the relay thread's publish
    (about 1.3 ms per message, shared by all the forms of its 200 ms wait).
    """
    from bench.bench_app import create_bench_app

    app = create_bench_app()
    client = app.test_client()
    token = TOKEN_RE.search(client.get("/callback").get_data(as_text=True)).group(1)
    rng = random.Random(11)
    spent = dict.fromkeys(ENDPOINTS, 0.0)
    order = list(ENDPOINTS)
    for n in range(requests + 50):
        rng.shuffle(order)  # a fixed order favours a place in it by a few percent (measured)
        for name in order:
            index = list(ENDPOINTS).index(name)
            path, data, expect = request_for(name, token, (50 + index) * 10**6 + n, rng)
            start = time.thread_time()
            response = client.post(path, data=data)
            response.close()
            if n >= 50:  # the first few of each warm up
                spent[name] += time.thread_time() - start
            assert response.status_code == expect, (path, response.status_code)
    return {name: total / requests * 1e6 for name, total in spent.items()}


def show_cpu(cpu: dict[str, float], requests: int) -> None:
    print(f"\nIn process, this thread's CPU per request ({requests} each, taking turns)")
    print("  " + "   ".join(f"{name} {us:.0f} us" for name, us in cpu.items()))
    print(
        f"  intake / baseline by CPU: {cpu['baseline'] / cpu['intake']:.2f}x"
        f"   intake / form+1 by CPU: {cpu['form+1'] / cpu['intake']:.2f}x"
    )


class Connection:
    """One client with its own session cookie and CSRF token, on plain sockets.

    The client shares the machine's two cores with gunicorn and PostgreSQL,
    so its CPU is taken from the server it measures: ``http.client`` spent
    about 0.4 ms a request (header parsing through ``email.parser``), 12 % of
    all the CPU a request cost.  This client sends a request built from one
    prepared header block and reads the answer until the server closes (a
    sync worker closes every connection after its answer), taking the status
    from the first line: 0.1 ms.  It also closes as soon as the answer is
    whole, so a worker lingering for the client's FIN (gunicorn's graceful
    close) waits for no client thread.
    """

    def __init__(self, port: int) -> None:
        first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        first.request("GET", "/callback")
        response = first.getresponse()
        body = response.read().decode()
        self.cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
        self.token = TOKEN_RE.search(body).group(1)
        first.close()
        self.address = ("127.0.0.1", port)
        self.head = (
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:" + str(port) + "\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nCookie: " + self.cookie + "\r\n"
            "Content-Length: {length}\r\nConnection: close\r\n\r\n"
        )

    def post(self, path: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode(data).encode()
        request = self.head.format(path=path, length=len(body)).encode() + body
        with socket.create_connection(self.address, timeout=30) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status_line = answer.split(b"\r\n", 1)[0].split()
        if len(status_line) < 2 or not answer.startswith(b"HTTP/1."):
            raise OSError(f"no HTTP answer: {answer[:80]!r}")
        return int(status_line[1])


def load(port: int, name: str, connections: int, seconds: float, offset: int) -> dict[str, float]:
    """`connections` clients posting as fast as answered for `seconds`; latency per request."""
    clients = [Connection(port) for _ in range(connections)]
    samples: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(index: int, client: Connection) -> None:
        rng = random.Random(index + offset)
        n = 0
        mine, bad = [], []
        while time.monotonic() < stop_at:
            n += 1
            path, data, expect = request_for(name, client.token, offset + index * 10**6 + n, rng)
            start = time.perf_counter()
            status = client.post(path, data)
            mine.append(time.perf_counter() - start)
            if status != expect:
                bad.append(status)
        with lock:
            samples.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "rps": len(samples) / elapsed,
        "errors": len(errors),
        "requests": len(samples),
        "elapsed": elapsed,
        "samples": samples,
        **percentiles(samples),
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _pids(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)  # noqa: S603,S607
    return [int(pid) for pid in found.stdout.split()]


def with_cpu_split(server_pid: int, run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run one load and add the CPU milliseconds per request of the web workers, PostgreSQL
    and this client: on a 2-core machine they share, this says where the time went."""
    web = [pid for pid in _pids("bench.bench_app") if pid != server_pid]
    before_web, before_pg = _cpu_seconds(web), _cpu_seconds(_pids("postgres"))
    before_client = time.process_time()
    result = run()
    after_web, after_pg = _cpu_seconds(web), _cpu_seconds(_pids("postgres"))
    per_request = 1000 / max(result["requests"], 1)
    return {
        **result,
        "cpu_web": (after_web - before_web) * per_request,
        "cpu_pg": (after_pg - before_pg) * per_request,
        "cpu_client": (time.process_time() - before_client) * per_request,
    }


def over_gunicorn(
    connections: int,
    seconds: float,
    rounds: int,
    warm_up: float = 3.0,
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
) -> tuple[dict[str, dict[str, float]], list[dict[str, float]]]:
    """Each endpoint in turn, `rounds` times: the figures pooled per endpoint, and each round's.

    On a shared 2-core machine the speed drifts by 10-20 % over a minute, more
    than the difference measured; the endpoints take turns in short runs, so a
    ratio taken within one round compares them under the same drift.
    """
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
            "bench.bench_app:create_bench_app()",
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        for index, name in enumerate(ENDPOINTS):  # each endpoint's first requests are slow
            load(port, name, connections, warm_up, offset=(7 + index) * 10**9)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
        for round_ in range(rounds):
            for name in ENDPOINTS:
                offset = (round_ * 10 + list(ENDPOINTS).index(name) + 1) * 10**10
                run = functools.partial(load, port, name, connections, seconds, offset)
                runs[name].append(with_cpu_split(server.pid, run))
        per_round = [{name: runs[name][i]["rps"] for name in ENDPOINTS} for i in range(rounds)]
        return {name: pooled(results) for name, results in runs.items()}, per_round
    finally:
        server.terminate()
        server.wait(10)


def pooled(runs: list[dict[str, Any]]) -> dict[str, float]:
    """One endpoint's runs as one: requests over the time they took, percentiles of all."""
    requests = sum(r["requests"] for r in runs)
    samples = [sample for r in runs for sample in r["samples"]]
    return {
        "rps": requests / sum(r["elapsed"] for r in runs),
        "requests": requests,
        "errors": sum(r["errors"] for r in runs),
        **percentiles(samples),
        **{
            key: sum(r[key] * r["requests"] for r in runs) / requests
            for key in ("cpu_web", "cpu_pg", "cpu_client")
        },
    }


def show_rounds(per_round: list[dict[str, float]], p99: float, connections: int) -> None:
    """Each round's intake / baseline ratio and their median, against the issue's targets."""
    for base in ("baseline", "form+1"):
        ratios = sorted(r["intake"] / r[base] for r in per_round)
        listed = ", ".join(f"{r['intake'] / r[base]:.2f}" for r in per_round)
        print(
            f"  intake / {base}, round by round: {listed};"
            f" median {statistics.median(ratios):.2f}x"
            + (" (target >= 0.90x)" if base == "baseline" else "")
        )
    target = " (target <= 25 ms)" if connections == 16 else " (the target is for 16 connections)"
    print(f"  intake p99 at {connections} connections: {p99:.1f} ms{target}")


def show(title: str, results: dict[str, dict[str, float]], note: str = "target >= 0.80x") -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':<10} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, r in results.items():
        print(
            f"  {name:<10} {r['rps']:8.1f} {r['p50']:8.2f} {r['p90']:8.2f} {r['p99']:8.2f}"
            + (
                f"   ({int(r['requests'])} requests, {int(r['errors'])} errors)"
                if "errors" in r
                else ""
            )
        )
    for base in ("baseline", "form+1"):
        ratio = results["intake"]["rps"] / results[base]["rps"]
        print(f"  intake / {base} throughput: {ratio:.2f}x ({note})")
    if "cpu_web" in results["intake"]:
        print("  CPU ms per request:  web workers  PostgreSQL  client    total")
        for name, r in results.items():
            total = r["cpu_web"] + r["cpu_pg"] + r["cpu_client"]
            print(
                f"    {name:<10} {r['cpu_web']:16.3f} {r['cpu_pg']:11.3f}"
                f" {r['cpu_client']:7.3f} {total:8.3f}"
            )


COLLECTION_PROBE = """
import gc, runpy, statistics, sys, time
from bench.bench_app import create_bench_app
from intake.matching import geo
create_bench_app()
geo.warm()
settings = runpy.run_path("gunicorn.conf.py")
def pause():
    times = []
    for _ in range(int(sys.argv[1])):
        start = time.perf_counter()
        gc.collect()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(gc.get_objects())
before = pause()
settings["post_worker_init"](None)
print(*before, *pause())
"""


def collection_pause(repeats: int) -> None:
    """A full garbage collection in a web worker, as gunicorn.conf.py leaves it, in a new process.

    Every request on a worker waits while it collects: with the app and the
    ZIP data tracked, a full collection walked about 300,000 objects.
    """
    found = subprocess.run(  # noqa: S603
        [sys.executable, "-c", COLLECTION_PROBE, str(repeats)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    before_ms, before_objects, after_ms, after_objects = found.stdout.split()[-4:]
    print(f"\nA full garbage collection in a warmed web worker (median of {repeats}, in process)")
    print(f"  before the worker's freeze {float(before_ms):7.2f} ms, {before_objects} objects")
    print(f"  after it                   {float(after_ms):7.2f} ms, {after_objects} objects")


def worker_step(limit: int = 600) -> None:
    """What the web requests left to the worker: forms processed per second, in this process.

    Not part of the POST's figures (the worker runs on its own cores in
    production); printed so the cost moved off the request stays visible.
    """
    from sqlalchemy import event, select

    from bench.bench_app import create_bench_app
    from intake.extensions import db
    from intake.models import Submission
    from intake.services.inbox import submissions

    app = create_bench_app()
    statements = [0]  # round trips are what the machine's load cannot blur: count them too

    def count(*_args: object) -> None:
        statements[0] += 1

    with app.app_context():
        pending = select(Submission.id).where(Submission.processed_at.is_(None))
        ids = list(db.session.scalars(pending.order_by(Submission.id).limit(limit)))
        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "commit", count)
        start = time.perf_counter()
        failed = submissions.process_many(db.session(), ids, relay=lambda _ids: None)
        elapsed = time.perf_counter() - start
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.engine, "commit", count)
    print(f"\nWorker step (in process, {len(ids)} received callback forms, no relay)")
    print(
        f"  {len(ids) / elapsed:.1f} forms/s, {elapsed / len(ids) * 1000:.2f} ms per form"
        f" (contact, case, link, consent, request, outbox rows); {len(failed)} failed"
    )
    print(f"  {statements[0] / len(ids):.2f} statements and commits per form")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=400, help="in-process requests per endpoint"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per gunicorn load run")
    parser.add_argument(
        "--cpu-requests", type=int, default=2000, help="in-process requests per endpoint, by CPU"
    )
    parser.add_argument(
        "--rounds", type=int, default=9, help="turns each endpoint takes under gunicorn"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn sync workers (docker-compose runs 2)"
    )
    parser.add_argument(
        "--no-relay", action="store_true", help="leave the outbox to the beat relay"
    )
    parser.add_argument(
        "--worker-forms", type=int, default=600, help="received forms the worker step processes"
    )
    smoke = {
        "requests": 20,
        "cpu_requests": 20,
        "seconds": 1.0,
        "rounds": 2,
        "connections": 4,
        "worker_forms": 50,
    }
    args = parse_args(parser, smoke)
    try:
        fresh_database()
        show(
            f"In process (Flask test client, {args.requests} POSTs each)", in_process(args.requests)
        )
        show_cpu(interleaved_cpu(args.cpu_requests), args.cpu_requests)
        results, per_round = over_gunicorn(
            args.connections, args.seconds, args.rounds, 0.5 if args.smoke else 2.0, args.workers
        )
        show(
            f"gunicorn, {args.workers} sync workers, {args.connections} connections, "
            f"{args.rounds} rounds of {args.seconds:g}s per endpoint, taking turns",
            results,
            "all rounds pooled",
        )
        show_rounds(per_round, results["intake"]["p99"], args.connections)
        collection_pause(3 if args.smoke else 7)
        worker_step(args.worker_forms)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        shutil.rmtree(INSTANCE, ignore_errors=True)


if __name__ == "__main__":
    main()
