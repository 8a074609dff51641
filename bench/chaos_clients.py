"""What the chaos run's clients send: forms through the pages, leads through the partner API.

20 threads at a steady rate; a person whose page failed sends the same form
again (the same hidden submission key), a partner retries with its
Idempotency-Key.  Each confirmation is kept, to be found in the database later.
"""

from __future__ import annotations

import collections
import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from bench.chaos_plan import Plan, person, plan_of
from bench.cluster import Cluster
from bench.scratch import run_in_threads

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


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
                        fields.update(zip=self.plan.zip_of(pid), best_time="asap", language="en",
                                      consent_calls="y")  # fmt: skip
                    else:
                        del fields["phone"]
                        fields.update(topics=["treatment", "financial"], deliver_email="y")
                        if kind == "guide_zip":
                            fields["zip"] = self.plan.zip_of(pid)
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
        who = {k: v for k, v in person(pid, self.plan.variants).items() if k != "email"}
        body = {
            "callback": {**who, "zip": self.plan.zip_of(pid), "best_time": "asap",
                         "language": "en", "consent_calls": True},
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
        run_in_threads(self._client, self.plan.clients)
