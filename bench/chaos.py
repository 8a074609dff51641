"""Whole-system chaos: forms, partner leads, guide emails and the callback queue while things die.

    python bench/chaos.py                 # 2,000 submissions, every fault (under 10 minutes)
    python bench/chaos.py --n 10000       # the full run
    python bench/chaos.py --smoke         # 150 submissions, each fault once, short timings

On loopback (``cluster.py``): gunicorn (2 workers), 2 Celery workers (one
prefork process each; as in production, ``worker1`` takes forms and the
callback queue and ``worker2`` is the mailer, the email queue alone;
``--shared``: both take both), beat, a throw-away Redis without persistence, a fresh
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
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_advocates import Advocates, set_up_people  # noqa: E402
from bench.chaos_checks import LEFT_SQL, check  # noqa: E402
from bench.chaos_clients import Clients  # noqa: E402
from bench.chaos_faults import Faults  # noqa: E402
from bench.chaos_places import callable_zips  # noqa: E402
from bench.chaos_plan import Log, Plan  # noqa: E402
from bench.chaos_sink import Control  # noqa: E402
from bench.cluster import BIN, Cluster, Service  # noqa: E402
from bench.scratch import free_port, wait_for_port  # noqa: E402
from bench.smoke import parse_args  # noqa: E402


def wait_ready(workers: list[Service], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(" ready." in w.log_path.read_text(errors="replace") for w in workers):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the workers were not ready within {timeout:.0f} s")


# production's shape (docker-compose.yml): worker1 forms and the callback queue, worker2 the
# mailer; with --shared both take both queues, as every worker did before the email queue
SPLIT_QUEUES = [["--exclude-queues", "email"], ["--queues", "email"]]


def run(plan: Plan, keep_logs: Path | None, shared: bool = False) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="intake-chaos-"))
    sink_port = free_port()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink_port), **plan.settings}
    queues = None if shared else SPLIT_QUEUES
    cluster = Cluster(
        workdir, settings, workers=2, concurrency=1, prefix="intake_chaos", queues=queues
    )
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
        # the sending and two minutes of the drain, else at least the next minute
        zips = callable_zips(plan.span + 120.0) or callable_zips(60.0)
        plan.zips, plan.callable = zips or plan.zips, bool(zips)
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
        figures, ok = check(cluster, clients, advocates, control, workdir, log)
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
    parser.add_argument("--shared", action="store_true",
                        help="both workers take both queues (no mailer of its own)")  # fmt: skip
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
    print("workers: both take both queues" if args.shared else
          "workers: worker1 forms and callbacks, worker2 the mailer (email queue)")  # fmt: skip
    ok = run(plan, args.logs, args.shared)
    print("RESULT", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
