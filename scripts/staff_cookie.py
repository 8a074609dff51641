"""Sign a demo staff member in over HTTP, second step included, and print their Cookie header.

    .venv/bin/python scripts/staff_cookie.py BASE_URL demo-staff.txt admin [WAPITI_COOKIES.json]

For ``scripts/security``: wapiti can fill a login form but not a one-time
code, so the admin's scan starts from a session this script opened: printed
as a ``Cookie`` header, and written as wapiti's cookie file (its ``-c``
option: a jar it keeps up to date as the site sets cookies) when a path is
given.  It reads the demo accounts the demo prints
(never real ones) and talks to the server only as a browser would.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pyotp

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def main(base: str, staff_file: str, role: str, wapiti_file: str | None = None) -> None:
    text = Path(staff_file).read_text(encoding="utf-8")
    label = "Demo admin" if role == "admin" else "Demo advocate"
    email, password = re.search(rf"^{label}: (\S+) / (\S+)$", text, re.M).groups()
    key = re.search(r"^Demo admin second step key: (\S+)", text, re.M)
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict[str, str]) -> str:
        page = opener.open(base + path).read().decode()
        fields["csrf_token"] = TOKEN.search(page).group(1)
        data = urllib.parse.urlencode(fields).encode()
        with opener.open(base + path, data) as answer:
            return answer.geturl()

    landed = post("login", {"email": email, "password": password})
    if "second-factor" in landed:
        if key is None:
            sys.exit("no second step key in the demo staff file")
        landed = post("login/second-factor", {"code": pyotp.TOTP(key.group(1)).now()})
    if "login" in landed:
        sys.exit(f"sign-in as the demo {role} failed")
    print("Cookie: " + "; ".join(f"{c.name}={c.value}" for c in jar))
    if wapiti_file:
        host = urllib.parse.urlsplit(base).hostname or "127.0.0.1"
        cookies: dict[str, dict[str, dict[str, object]]] = {}
        for c in jar:
            cookies.setdefault(c.path or "/", {})[c.name] = {
                "value": c.value, "expires": None, "secure": c.secure, "port": None, "version": 0,
            }  # fmt: skip
        Path(wapiti_file).write_text(json.dumps({host: cookies}), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") + "/", sys.argv[2], sys.argv[3], *sys.argv[4:5])
