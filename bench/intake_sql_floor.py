"""The floor under the intake write: the same rows written with raw psycopg, no ORM, no Flask.

    python bench/intake_sql_floor.py
    python bench/intake_sql_floor.py --smoke    # 20 transactions each: proves it still runs

Writes what one new callback writes (contact look-up, contact, consent,
case, case link, request, two outbox rows, commit) and, as the baseline,
one outbox row + commit, on a fresh migrated database.  The ratio is the
best any Python intake could reach on this schema and machine before
Flask, forms and the ORM add their share.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.form_intake import (  # noqa: E402  (sets the environment)
    BENCH_DB,
    INSTANCE,
    admin,
    fresh_database,
)
from bench.smoke import parse_args  # noqa: E402

BLOB = os.urandom(48)  # stands in for an AES-GCM sealed value


def intake_rows(cur, n: int) -> None:
    """One new person's callback: the statements the service issues, as plain SQL."""
    cur.execute(
        "SELECT id FROM contacts WHERE email_hash = %s OR phone_hash = %s LIMIT 1",
        (f"e{n}", f"p{n}"),
    )
    cur.fetchone()
    cur.execute(
        "INSERT INTO contacts (first_name, last_name, email, email_hash, phone, phone_hash,"
        " do_not_call, email_opt_out, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, false, false, now(), now())"
        " ON CONFLICT DO NOTHING RETURNING id",
        (BLOB, BLOB, BLOB, uuid.uuid4().hex, BLOB, uuid.uuid4().hex),
    )
    contact_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO consent_records (contact_id, purpose, channel, covers, covers_hash,"
        " text_version, text_sha256, source, ip_address, granted_at)"
        " VALUES (%s, 'advocate_calls', 'phone', %s, %s, 'v1', %s, 'callback_form', %s, now())",
        (contact_id, BLOB, uuid.uuid4().hex, uuid.uuid4().hex, BLOB),
    )
    cur.execute(
        "INSERT INTO cases (diagnosis_type, stage, zip, state, timezone, created_at, updated_at)"
        " VALUES ('pleural', '2', '60601', 'IL', 'America/Chicago', now(), now()) RETURNING id"
    )
    case_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO case_contacts (case_id, contact_id, relationship, created_at, updated_at)"
        " VALUES (%s, %s, 'self', now(), now())",
        (case_id, contact_id),
    )
    cur.execute(
        "INSERT INTO callback_requests (submission_key, contact_id, case_id, best_time, language,"
        " status, times_requested, created_at, updated_at)"
        " VALUES (%s, %s, %s, 'asap', 'en', 'received', 1, now(), now()) RETURNING id",
        (str(uuid.uuid4()), contact_id, case_id),
    )
    request_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO outbox_messages (task_name, args, created_at, due_at, publish_attempts)"
        " VALUES ('callbacks.enqueue', %s, now(), now(), 0),"
        " ('matching.record_case_matches', %s, now(), now(), 0)",
        (f"[{request_id}]", f"[{case_id}]"),
    )


def one_row(cur, n: int) -> None:
    """The baseline: one small insert."""
    cur.execute(
        "INSERT INTO outbox_messages (task_name, args, created_at, due_at, publish_attempts)"
        " VALUES ('bench.noop', '[]', now(), now(), 0)"
    )


def timed(conn, write, count: int) -> float:
    cur = conn.cursor()
    start = time.perf_counter()
    for n in range(count):
        write(cur, n)
        conn.commit()
    return (time.perf_counter() - start) / count * 1000


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000, help="of each kind, per round")
    count = parse_args(parser, {"transactions": 20}).transactions
    try:
        fresh_database()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}") as conn:
            results: dict[str, float] = {}
            for _round in range(2):  # the second, warm round counts
                for write in (one_row, intake_rows):
                    results[write.__name__] = timed(conn, write, count)
        print(f"raw psycopg, {count} transactions each, ms per transaction (commit included)")
        print(f"  one_row      {results['one_row']:.3f}")
        print(f"  intake_rows  {results['intake_rows']:.3f}")
        print(
            f"  throughput ratio intake/one-row: {results['one_row'] / results['intake_rows']:.2f}x"
        )
    finally:
        admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        shutil.rmtree(INSTANCE, ignore_errors=True)


if __name__ == "__main__":
    main()
