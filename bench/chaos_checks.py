"""What the chaos run checks at the end, from the database, the sink and the workers' logs."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

from bench.chaos_advocates import Advocates
from bench.chaos_clients import Clients
from bench.chaos_plan import Log
from bench.chaos_sink import Control
from bench.cluster import Cluster

TASK_LINE_RE = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] received")

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


DEATH_WINDOW = 0.5  # s from an answer to its worker's death: one commit, with room for load


def died_just_after(moment: float, deaths: list[tuple[float, float]]) -> bool:
    """Whether a worker died within ``DEATH_WINDOW`` s after ``moment`` (wall clock)."""
    return any(first - DEATH_WINDOW <= moment <= last for first, last in deaths)


def check(
    cluster: Cluster,
    clients: Clients,
    advocates: Advocates,
    sink: Control,
    workdir: Path,
    log: Log,
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
    last_heard: dict[str, float] = {}
    for record in records:
        heard[record["id"]].append(record["answer"])
        last_heard[record["id"]] = record["t"]
    # "unknown" although the server answered its last try (a reply for every try, the last
    # not a drop): the worker lost an answer it had.  A worker SIGKILLed between reading the
    # answer and committing it is the drop's window seen from our side (counted, bounded by
    # one commit's time); any other is a bug (an answer rolled back or never kept)
    answered = [d for d in unknown if heard[d[2]] and len(heard[d[2]]) >= d[4]
                and heard[d[2]][-1] != "drop"]  # fmt: skip
    killed = [d for d in answered if died_just_after(last_heard[d[2]], log.deaths)]
    answers_lost = [d for d in answered if d not in killed]
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
    out.append(f"killed after the answer  {len(killed)} (the server answered "
               f"{[heard[d[2]][-1] for d in killed]}, its worker was SIGKILLed within "
               f"{DEATH_WINDOW:g} s, before keeping it: unknown, never sent again)")  # fmt: skip
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
    plan = clients.plan
    if plan.callable:
        out.append(f"callers' ZIPs            {', '.join(plan.zips)} (inside calling hours "
                   f"for the whole run)")  # fmt: skip
        claims_checked = bool(advocates.claims) and bool(advocates.outcomes)
    else:  # only between about 11:00 and 12:00 UTC: the console rightly offers nothing
        out.append("claims NOT CHECKED       no US place is inside calling hours for this run")
        claims_checked = True
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
        and requests == items + joined and claims_checked
        # a run that did nothing proves nothing: forms kept, emails taken, calls queued
        and confirmations > 0 and received > 0 and items > 0
    )  # fmt: skip
    return out, ok
