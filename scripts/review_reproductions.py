"""The security review's two high findings, run from outside against a running service.

    .venv/bin/python scripts/review_reproductions.py --base http://127.0.0.1:5000 \
        --staff instance/demo-staff.txt

Talks HTTP only, as a stranger would: public forms, then the demo admin's
sign-in (password and second step from the demo's staff file) to read the
local mailbox and `/admin/people`.  Needs a service whose mail goes to the
local mailbox (`./scripts/run`, or `intake serve` on PostgreSQL and Redis
with `SMTP_HOST` unset).  Prints one line per check and exits non-zero when
any fails: 1. a stranger who knows a patient's email cannot change her phone
or case; 2. a stranger who knows a patient's phone cannot erase her.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pyotp

_CSRF = re.compile(r'<input(?=[^>]*name="csrf_token")[^>]*value="([^"]+)"')
_KEY = re.compile(r'<input(?=[^>]*name="submission_key")[^>]*value="([^"]+)"')


class _LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send `Secure` cookies over plain HTTP too: the service outside the demo marks its
    cookies Secure, and this script talks to it on loopback without TLS."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return True


class Browser:
    """A cookie-keeping client that fills forms with their hidden tokens."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        jar = http.cookiejar.CookieJar(policy=_LoopbackPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:  # noqa: S310
            return str(response.read().decode())

    def post(self, path: str, data: dict[str, Any], token_from: str | None = None) -> str:
        page = self.get(token_from or path)
        fields = dict(data)
        if csrf := _CSRF.search(page):
            fields["csrf_token"] = csrf.group(1)
        if key := _KEY.search(page):
            fields["submission_key"] = key.group(1)
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        with self.opener.open(self.base + path, body, timeout=30) as response:  # noqa: S310
            return str(response.read().decode())


def sign_in_admin(base: str, staff_file: str) -> Browser:
    staff = open(staff_file, encoding="utf-8").read()  # noqa: SIM115
    email, password = re.search(r"Demo admin: (\S+) / (\S+)", staff).groups()  # type: ignore[union-attr]
    key = re.search(r"second step key: (\S+)", staff).group(1)  # type: ignore[union-attr]
    admin = Browser(base)
    admin.post("/login", {"email": email, "password": password})
    for _try in range(2):  # a code is good once: a step used a moment ago waits for the next
        try:
            admin.post("/login/second-factor", {"code": pyotp.TOTP(key).now()})
            return admin
        except urllib.error.HTTPError:
            time.sleep(31 - time.time() % 30)
    raise SystemExit("could not sign in as the demo admin")


def callback(browser: Browser, **person: str) -> None:
    form = {"relationship": "self", "best_time": "asap", "language": "en", "consent_calls": "y",
            **person}  # fmt: skip
    browser.post("/callback", form)


def people(admin: Browser, **query: str) -> list[dict[str, Any]]:
    """Everything /admin/people holds for each person found by this email or phone."""
    page = admin.post("/admin/people", query, "/admin/people")
    found = []
    for contact_id in re.findall(r'name="contact_id" value="(\d+)"', page):
        if any(p["contact"]["id"] == int(contact_id) for p in found):
            continue
        body = admin.post("/admin/people/export", {"contact_id": contact_id}, "/admin/people")
        found.append(json.loads(body))
    return found


def check(name: str, ok: bool, failures: list[str]) -> None:
    print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if not ok:
        failures.append(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--staff", default="instance/demo-staff.txt")
    parser.add_argument("--wait", type=float, default=15.0, help="seconds for the worker")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    line = 10 + secrets.randbelow(88)  # numbers no earlier run gave (555-01xx is fictional)
    failures: list[str] = []
    public = Browser(args.base)

    # 1. the patient asks for a call; a stranger sends her email with his phone and case
    patient_email = f"patient-{run}@example.com"
    phone_a, phone_b = f"(212) 555-01{line:02d}", f"(305) 555-01{line:02d}"
    callback(public, first_name="Eleanor", phone=phone_a, email=patient_email, zip="10001",
             diagnosis_type="pleural", stage="4", veteran="yes")  # fmt: skip
    callback(Browser(args.base), first_name="Mallory", phone=phone_b, email=patient_email,
             zip="33101", diagnosis_type="peritoneal", stage="1", veteran="no")  # fmt: skip
    time.sleep(args.wait)
    admin = sign_in_admin(args.base, args.staff)
    found = people(admin, email=patient_email)
    eleanor = [p for p in found if p["contact"]["first_name"] == "Eleanor"]
    mallory = [p for p in found if p["contact"]["first_name"] == "Mallory"]
    check("1. the stranger's request is on a contact of its own", len(found) == 2 and bool(mallory),
          failures)  # fmt: skip
    if eleanor:
        mine = eleanor[0]
        case = mine["cases"][0] if mine["cases"] else {}
        check(
            "1. her phone is unchanged",
            mine["contact"]["phone"] == f"+121255501{line:02d}",
            failures,
        )
        check(
            "1. her case is unchanged (pleural, stage 4, veteran, NY)",
            (case.get("diagnosis_type"), case.get("stage"), case.get("veteran"), case.get("state"))
            == ("pleural", "4", True, "NY"),
            failures,
        )
        check("1. her call is to her own number in her own zone",
              [c["state"] for c in mine["calls"]] == ["NY"], failures)  # fmt: skip
    else:
        check("1. the patient is on file", False, failures)

    # 2. a patient gave only a phone; a stranger sends it with his own email, then deletes
    phone_p, email_x = f"(646) 555-01{line:02d}", f"mallory-{run}@example.net"
    callback(public, first_name="Ruth", phone=phone_p, zip="10001", diagnosis_type="pleural")
    callback(Browser(args.base), first_name="Mallory", phone=phone_p, email=email_x, zip="33101")
    time.sleep(args.wait)
    Browser(args.base).post("/privacy/delete", {"email": email_x})
    time.sleep(args.wait)
    link, named = None, None
    deadline = time.monotonic() + 90  # the worker's sweep may take a minute to send it
    while link is None and time.monotonic() < deadline:
        listing = admin.get("/admin/mailbox")
        for message_id in re.findall(r'href="/admin/mailbox/([^"/]+)"', listing):
            message = admin.get(f"/admin/mailbox/{message_id}")
            if email_x in message and "/privacy/delete/" in message:
                named = "Ruth" in message
                link = re.search(r"/privacy/delete/[A-Za-z0-9_.\-]+", message).group(0)  # type: ignore[union-attr]
                break
        else:
            time.sleep(3)
    check("2. the deletion email never names the patient", named is False, failures)
    check("2. the deletion email went to the address asked about", link is not None, failures)
    if link:
        stranger = Browser(args.base)
        done = stranger.post(link, {})
        check("2. the link erased the stranger's own record", "is deleted" in done, failures)
    deadline = time.monotonic() + 90  # a call that rode on the stranger's is queued anew
    while True:
        ruth = [p for p in people(admin, phone=phone_p) if p["contact"]["first_name"] == "Ruth"]
        statuses = [c["status"] for c in ruth[0]["calls"]] if ruth else []
        if statuses == ["queued"] or time.monotonic() > deadline:
            break
        time.sleep(3)
    check("2. the patient is not erased", bool(ruth) and ruth[0]["contact"]["erased_at"] is None,
          failures)  # fmt: skip
    check("2. her call is still owed", statuses == ["queued"], failures)
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
