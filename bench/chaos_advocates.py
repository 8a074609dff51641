"""The chaos run's advocates: staff who sign in, claim the next call and log its outcome.

Through the console's own routes (/login, /advocate/claim-next, the outcome
form), sometimes posting an outcome twice, while workers die underneath.
"""

from __future__ import annotations

import collections
import os
import random
import re
import threading
from typing import Any

from bench.chaos_clients import TOKEN_RE, browser, post
from bench.chaos_plan import PASSWORD
from bench.cluster import Cluster

LEAD_RE = re.compile(r"/advocate/leads/(\d+)$")


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
