"""Partner API lead POSTs against the web form's intake POST, in one run.

    python bench/api_leads.py            # gunicorn, 2 sync workers, 16 connections
    python bench/api_leads.py --smoke    # a few seconds of each: proves it still runs

Same set-up as ``bench/form_intake.py`` (a fresh PostgreSQL database, the
after-commit announcement publishing to Redis, no worker consuming it): the
real ``/callback`` form and ``POST /api/v1/leads`` with a callback request
(a new person each time), with and without an ``Idempotency-Key``, are
loaded alternately through gunicorn.  Prints requests per second, latency
percentiles, and the API's throughput as a ratio of the form's (target >= 0.9x).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.form_intake import (  # noqa: E402 (sets the bench environment first)
    BENCH_DB,
    INSTANCE,
    ROOT,
    Connection,
    admin,
    callback_payload,
    free_port,
    fresh_database,
    percentiles,
    with_cpu_split,
)
from bench.smoke import parse_args  # noqa: E402


def api_body(n: int, rng: random.Random) -> dict:
    """The form's callback fields as the partner API's JSON, with the consent it recorded."""
    form = callback_payload(n, rng)
    fields = {k: v for k, v in form.items() if k not in ("submission_key", "consent_calls")}
    return {
        "callback": {**fields, "consent_calls": True},
        "consent": {
            "given_at": "2026-11-29T09:30:00Z",
            "ip_address": "203.0.113.7",
            "wordings": {"advocate_calls": {"version": "callback-calls-2026-11-01"}},
        },
    }


class ApiConnection:
    """One keep-alive HTTP/1.1 connection of a partner's server, with its key."""

    def __init__(self, port: int, key: str, idempotency: bool) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key, self.idempotency = key, idempotency

    def post(self, body: dict) -> int:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        if self.idempotency:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        self.conn.request("POST", "/api/v1/leads", body=json.dumps(body), headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status


def load(port: int, name: str, key: str, connections: int, seconds: float, offset: int) -> dict:
    """`connections` clients posting as fast as answered for `seconds`; latency per request."""
    if name == "form":
        clients: list = [Connection(port) for _ in range(connections)]
    else:
        clients = [ApiConnection(port, key, name == "api+idem") for _ in range(connections)]
    samples: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(index: int, client: object) -> None:
        rng = random.Random(index + offset)
        n, mine, bad = 0, [], []
        while time.monotonic() < stop_at:
            n += 1
            seq = offset + index * 10**6 + n
            start = time.perf_counter()
            if name == "form":
                data = {"csrf_token": client.token, **callback_payload(seq, rng)}  # type: ignore[attr-defined]
                status, expect = client.post("/callback", data), 303  # type: ignore[attr-defined]
            else:
                status, expect = client.post(api_body(seq, rng)), 202  # type: ignore[attr-defined]
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
    return {"rps": len(samples) / elapsed, "errors": len(errors), "requests": len(samples),
            **percentiles(samples)}  # fmt: skip


ENDPOINTS = ("form", "api+idem", "api")


def make_key() -> str:
    from bench.bench_app import create_bench_app
    from intake.extensions import db
    from intake.services.inbox import api_keys

    with create_bench_app().app_context():
        secret = api_keys.create_key(db.session(), "Bench Partner", "cli").secret
        db.session.commit()
    return secret


def over_gunicorn(key: str, connections: int, seconds: float, warm_up: float) -> dict[str, dict]:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "sync", "--log-level", "warning",
         "--access-logfile", "/dev/null", "bench.bench_app:create_bench_app()"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        for name in ENDPOINTS:  # warm-up
            offset = (7 + ENDPOINTS.index(name)) * 10**9
            load(port, name, key, connections, warm_up, offset)
        results: dict[str, list] = {}
        for round_ in range(2):  # alternate, so drift hits both alike
            for name in ENDPOINTS:
                offset = (round_ * 10 + ENDPOINTS.index(name) + 1) * 10**10
                run = functools.partial(load, port, name, key, connections, seconds, offset)
                results.setdefault(name, []).append(with_cpu_split(server.pid, run))
        return {name: max(runs, key=lambda r: r["rps"]) for name, runs in results.items()}
    finally:
        server.terminate()
        server.wait(10)


def show(title: str, results: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':<10} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, r in results.items():
        print(f"  {name:<10} {r['rps']:8.1f} {r['p50']:8.2f} {r['p90']:8.2f} {r['p99']:8.2f}"
              f"   ({int(r['requests'])} requests, {int(r['errors'])} errors)")  # fmt: skip
    for name in ("api+idem", "api"):
        ratio = results[name]["rps"] / results["form"]["rps"]
        print(f"  {name} / form throughput: {ratio:.2f}x (target >= 0.90x)")
    print("  CPU ms per request:  web workers  PostgreSQL  client    total")
    for name, r in results.items():
        total = r["cpu_web"] + r["cpu_pg"] + r["cpu_client"]
        print(f"    {name:<10} {r['cpu_web']:16.3f} {r['cpu_pg']:11.3f}"
              f" {r['cpu_client']:7.3f} {total:8.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per load run")
    parser.add_argument("--connections", type=int, default=16)
    args = parse_args(parser, {"seconds": 1.0, "connections": 4})
    try:
        fresh_database()
        key = make_key()
        warm_up = 0.5 if args.smoke else 2.0
        show(f"gunicorn, 2 sync workers, {args.connections} connections, "
             f"{args.seconds:.0f}s per run (best of 2)",
             over_gunicorn(key, args.connections, args.seconds, warm_up))  # fmt: skip
    finally:
        admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        shutil.rmtree(INSTANCE, ignore_errors=True)


if __name__ == "__main__":
    main()
