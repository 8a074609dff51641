"""What ``bench/fuzz.py`` sends: a Hypothesis strategy of hostile requests for each public entry.

Each target starts from an answer that would be accepted and breaks a few
of its fields: Unicode of every plane (astral letters, combining marks,
right-to-left text, lone surrogates where the encoding can carry them),
huge values, NUL, CR/LF in names and emails, missing and repeated fields,
wrong JSON types, bad or missing CSRF tokens, bad API keys and reused
Idempotency-Keys.  Most requests keep most fields valid, so a good share
gets through validation and makes a lead: those are the ones whose pages,
emails and PDFs the run then renders.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# A value's kinds: what a person might type, and what a script might send.
REAL_NAMES = [
    "María José", "Zoë O'Brien", "Łukasz Żółć", "Trương Văn Ơn", "Kaʻiulani", "Əliyev",
    "Ĉu Ŝanĝo", "Nguyễn Thị Ánh", "Jean-Luc", "D'Angelo", "St. John", "Søren Åberg",
    "Дмитрий", "Γιώργος", "محمد", "יוסף", "राम", "ராமன்", "สมชาย", "王小明", "佐藤 花子",
    "김민준", "Ἀθηνᾶ", "ქეთევან", "Հայկ", "አበበ", "ᏣᎳᎩ", "ꓡꓲꓢꓮ", "𐐔𐐯𐑅𐐨𐑉𐐯𐐻", "𝔄𝔫𝔫𝔞",
    "فاطمه\u200cزهرا", "Ọ̀ṣun", "Nāmaka", "Ḿ̩bali", "ß", "Ǆemal",
]  # fmt: skip
NASTY = [
    "", " ", "   ", "\t", "\u00a0", "\u3000", "\x00", "Ann\x00Lee",
    "Ann\r\nBcc: victim@example.org", "Ann\nSubject: hi", "Ann\rX", "\u2028", "\u2029",
    "\u202eevil\u202c", "\ufeffBOM",
    "\u200b", "\u0301", "\u0301Ann", "²", "①", "١٢٣", "１２３", "<script>alert(1)</script>",
    "' OR 1=1 --", "%s%s%n", "{{7*7}}", "${jndi:x}", "../../etc/passwd", "\\", "\"", "null",
    "\U0001f600", "\U0001f1fa\U0001f1f8", "\U000e0041", "\U0010fffd", "\ufffd", "\uffff",
    "a" * 81, "é" * 300, "\U0001d538" * 100,
]  # fmt: skip
EMAILS = [
    "ann@example.com", "ANN@EXAMPLE.COM", "josé@example.com", "用户@例子.广告",
    "ann@bücher.example", "ann+tag@example.com", "\"a b\"@example.com", "ann@[127.0.0.1]",
    "ann@example.com\r\nBcc: victim@example.org", "ann@example.com\nX-Evil: 1",
    "ann@example.com,victim@example.org", "Ann <ann@example.com>", "ann@example.com\x00",
    "ann@localhost", "ann@@example.com", "ann@example..com", "a" * 250 + "@example.com",
    "ann@" + "b" * 70 + ".com", "\u202eann@example.com", "ann@xn--bcher-kva.example",
]  # fmt: skip
PHONES = [
    "(212) 555-0143", "212-555-0143", "+1 312 555 0100", "２１２５５５０１４３", "٢١٢٥٥٥٠١٤٣",
    "(212) 555-0143 ext. 12", "+44 20 7946 0958", "555", "0" * 30, "(212)\r\n555-0143",
]  # fmt: skip
ZIPS = [
    "10001", "60601", "02115", "77030", "94143", "33101", "99501", "96813", "00601", "10001-1234",
]  # fmt: skip
BAD_ZIPS = ["00000", "１０００１", "١٠٠٠١", "1000", "100011", "10001-", "ZIP", "²0001"]


@functools.cache
def huge() -> st.SearchStrategy[str]:
    """One character many times: past every Length limit, and past the body limit."""
    chars = st.sampled_from(["A", "é", "\U0001d538", "\u0301", "\x00", "\r\n"])
    sizes = st.sampled_from([81, 255, 1001, 20000])
    too_big = st.just("A" * 2_100_000)  # past the 2 MiB body limit: a 413
    repeated = st.builds(lambda c, n: c * n, chars, sizes)
    return st.one_of(*[repeated] * 7, too_big)


@functools.cache
def any_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text from every plane and category, surrogates aside (the form encoding adds those)."""
    return st.one_of(
        st.text(max_size=max_size),
        st.text(st.characters(min_codepoint=0x10000), max_size=12),
        st.text(st.characters(categories=["L", "M"]), min_size=1, max_size=24),
        st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=6),
    )


@functools.cache
def name_text() -> st.SearchStrategy[str]:
    """Names as people have them, in every script, and what a script sends instead."""
    return st.one_of(
        st.sampled_from(REAL_NAMES),
        st.sampled_from(REAL_NAMES),
        st.text(st.characters(categories=["L"]), min_size=1, max_size=20),
        st.builds(
            lambda a, m, b: a + m + b,
            st.text(st.characters(categories=["L"]), min_size=1, max_size=6),
            st.text(st.characters(categories=["M"]), min_size=1, max_size=3),
            st.text(st.characters(categories=["L"]), max_size=6),
        ),
        st.sampled_from(NASTY),
        any_text(),
        huge(),
    )


@functools.cache
def email_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EMAILS),
        st.emails().map(str),
        st.builds(
            lambda a, b: f"{a}@{b}.example",
            st.text(min_size=1, max_size=10),
            st.text(min_size=1, max_size=10),
        ),  # fmt: skip
        st.sampled_from(NASTY),
        huge(),
    )


@functools.cache
def field_value(name: str) -> st.SearchStrategy[str]:
    """A hostile value for a field, of the kinds that field draws out."""
    if "name" in name or name in ("city", "address_line1", "address_line2"):
        return name_text()
    if "email" in name:
        return email_text()
    if name == "phone":
        return st.one_of(st.sampled_from(PHONES), any_text(), huge())
    if "zip" in name:
        return st.one_of(st.sampled_from(ZIPS + BAD_ZIPS), any_text(12), huge())
    return st.one_of(st.sampled_from(NASTY), any_text(), huge())


@functools.cache
def repeated_values(name: str) -> st.SearchStrategy[list[str]]:
    """A field sent two or three times."""
    return st.lists(field_value(name), min_size=2, max_size=3)


KEEP, DROP = object(), object()


@st.composite
def mutated(draw: Any, base: dict[str, Any], names: list[str]) -> list[tuple[str, str]]:
    """``base`` as form pairs with 0 to 3 fields broken: replaced, dropped or repeated."""
    pairs: dict[str, Any] = dict(base)
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        how = draw(st.sampled_from(["value", "value", "value", "drop", "repeat"]))
        if how == "drop":
            pairs[name] = DROP
        elif how == "repeat":
            pairs[name] = draw(repeated_values(name))
        else:
            pairs[name] = draw(field_value(name))
    out: list[tuple[str, str]] = []
    for name, value in pairs.items():
        if value is DROP:
            continue
        values = value if isinstance(value, list) else [value]
        out += [(name, v) for v in values]
    return out


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """URL-encoded as a browser would, UTF-8; a lone surrogate goes as its invalid bytes."""
    return "&".join(
        urllib.parse.quote_from_bytes(k.encode("utf-8", "surrogatepass"))
        + "="
        + urllib.parse.quote_from_bytes(v.encode("utf-8", "surrogatepass"))
        for k, v in pairs
    ).encode("ascii")


@dataclass
class Request:
    """One generated request: what the runner sends, and what the report names it by."""

    target: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    csrf: str = "good"  # good, missing, garbage, other (another session's token)
    as_staff: bool = False

    def describe(self, limit: int = 300) -> str:
        """A short, printable description for the findings list."""
        body = (self.body or b"")[:limit]
        return f"{self.method} {self.path} q={self.query!r:.{limit}} body={body!r}"


GUIDE_BASE = {
    "first_name": "Robert", "last_name": "O'Neil", "email": "fuzz@example.com",
    "relationship": "self", "diagnosis_type": "peritoneal", "stage": "2", "cell_type": "biphasic",
    "veteran": "no", "zip": "10001", "topics": "treatment", "deliver_email": "y", "language": "en",
}  # fmt: skip
GUIDE_FIELDS = [
    *GUIDE_BASE, "topics", "deliver_mail", "address_line1", "city", "state", "postal_zip",
    "followup_emails", "submission_key", "shown_in", "leave_empty",
]  # fmt: skip
CALLBACK_BASE = {
    "first_name": "Maria", "last_name": "Lopez", "phone": "(212) 555-0143",
    "email": "fuzz@example.com", "relationship": "spouse_partner", "diagnosis_type": "pleural",
    "stage": "3", "zip": "10001", "veteran": "yes", "best_time": "morning", "language": "es",
    "diagnosed": "recent", "consent_calls": "y",
}  # fmt: skip
CALLBACK_FIELDS = [*CALLBACK_BASE, "email_fallback", "submission_key", "shown_in", "leave_empty"]
MATCH_BASE = {
    "cancer_type": "pleural", "zip": "10001", "stage": "3", "cell_type": "epithelioid",
    "veteran": "yes", "language": "en", "max_miles": "250", "need": "treatment",
}  # fmt: skip
MATCH_FIELDS = [*MATCH_BASE, "telehealth", "limit"]


@st.composite
def person_form(draw: Any, target: str, base: dict[str, str], names: list[str]) -> Request:
    """A guide or callback POST: a new person (email, phone, name) most of the time."""
    n = draw(st.integers(0, 10**9))
    fresh = dict(base, submission_key=str(draw(st.uuids())))
    fresh["email"] = f"fuzz{n}@example.com"
    if "phone" in fresh:
        fresh["phone"] = f"(312) 555-{n % 10000:04d}"
    fresh["zip"] = draw(st.sampled_from(ZIPS[:9]))
    fresh["first_name"] = draw(st.one_of(st.just(fresh["first_name"]), st.sampled_from(REAL_NAMES)))
    pairs = draw(mutated(fresh, names))
    return Request(target, "POST", f"/{target}", form_body(pairs),
                   "application/x-www-form-urlencoded", csrf=draw(csrf_mode()))  # fmt: skip


@functools.cache
def csrf_mode() -> st.SearchStrategy[str]:
    return st.sampled_from(["good"] * 7 + ["missing", "garbage", "other"])


@st.composite
def deletion_form(draw: Any) -> Request:
    email = draw(st.one_of(st.just("fuzz@example.com"), email_text()))
    pairs = draw(mutated({"email": email}, ["email", "website", "leave_empty"]))
    return Request("privacy_delete", "POST", "/privacy/delete", form_body(pairs),
                   "application/x-www-form-urlencoded", csrf=draw(csrf_mode()))  # fmt: skip


@st.composite
def secret_link(draw: Any) -> Request:
    """The unsubscribe and deletion-confirmation links with made-up tokens."""
    token = draw(st.one_of(st.text(max_size=60), huge(), st.sampled_from(NASTY[1:])))
    quoted = urllib.parse.quote(token.encode("utf-8", "surrogatepass"), safe="")
    path = draw(st.sampled_from(["/unsubscribe/", "/privacy/delete/"])) + (quoted or "x")
    method = draw(st.sampled_from(["GET", "POST"]))
    body = b"List-Unsubscribe=One-Click" if method == "POST" else None
    return Request("links", method, path, body, "application/x-www-form-urlencoded",
                   csrf=draw(csrf_mode()))  # fmt: skip


@st.composite
def match_search(draw: Any, target: str) -> Request:
    # a request line longer than gunicorn's 4,094 bytes never reaches the app (a 414)
    pairs = [(k, v[:600]) for k, v in draw(mutated(MATCH_BASE, MATCH_FIELDS))]
    path = "/match" if target == "match_page" else "/api/v1/match"
    return Request(target, "GET", path, query=pairs)


@functools.cache
def json_junk() -> st.SearchStrategy[Any]:
    """A value of the wrong JSON type (or the right one, badly)."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
        max_size=2), st.sampled_from(NASTY), huge(), st.just("\ud800"), st.just("a\udfffb"),
    )  # fmt: skip


def lead_body(n: int, guide: bool, callback: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "consent": {
            "given_at": "2026-11-29T09:30:00Z",
            "ip_address": "203.0.113.7",
            "wordings": {
                "advocate_calls": {"version": "callback-calls-2026-11-01"},
                "guide_email": {"text": "Email me the free guide."},
            },
        }
    }
    if callback:
        fields = {k: v for k, v in CALLBACK_BASE.items() if k != "consent_calls"}
        body["callback"] = {**fields, "consent_calls": True, "email": f"api{n}@example.com",
                            "phone": f"(773) 555-{n % 10000:04d}"}  # fmt: skip
    if guide:
        fields = {k: v for k, v in GUIDE_BASE.items() if k not in ("topics", "deliver_email")}
        body["guide"] = {**fields, "topics": ["treatment"], "deliver_email": True,
                         "email": f"api{n}@example.com"}  # fmt: skip
    return body


@st.composite
def api_lead(draw: Any) -> Request:
    """``POST /api/v1/leads``: a partner's JSON with some values of the wrong type or hostile."""
    n = draw(st.integers(0, 10**9))
    kinds = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    body: Any = lead_body(n, *kinds)
    for _ in range(draw(st.integers(0, 3))):
        section = draw(st.sampled_from([s for s in ("guide", "callback", "consent") if s in body]))
        names = sorted(body[section]) + ["extra"]
        name = draw(st.sampled_from(names))
        how = draw(st.sampled_from(["junk", "text", "text", "drop"]))
        if how == "drop":
            body[section].pop(name, None)
        elif how == "text":
            body[section][name] = draw(field_value(name))
        else:
            body[section][name] = draw(json_junk())
    shape = draw(st.sampled_from(["object"] * 8 + ["not an object", "broken", "duplicate keys"]))
    if shape == "not an object":
        body = draw(json_junk())
    raw = json.dumps(body).encode()
    if shape == "broken":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))] + b"\xff\xfe"
    elif shape == "duplicate keys":
        raw = b'{"guide": null, ' + raw[1:] if raw.startswith(b"{") else raw
    auth = draw(st.sampled_from(["good"] * 9 + ["missing", "garbage", "scheme"]))
    idem = draw(st.sampled_from(["new"] * 6 + ["none", "reuse", "hostile"]))
    headers = {"X-Fuzz-Auth": auth, "X-Fuzz-Idem": idem}
    if idem == "hostile":
        headers["Idempotency-Key"] = draw(
            st.one_of(
                st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=300),
                st.just(""),
            )  # fmt: skip
        )
    return Request("api_leads", "POST", "/api/v1/leads", raw, "application/json", headers=headers)


@st.composite
def person_search(draw: Any) -> Request:
    """The admins' person search (staff, but it takes typed input too)."""
    pairs = draw(mutated({"contact_id": "1"}, ["contact_id", "email", "phone"]))
    return Request("admin_people", "POST", "/admin/people", form_body(pairs),
                   "application/x-www-form-urlencoded", as_staff=True)  # fmt: skip


TARGETS: dict[str, st.SearchStrategy[Request]] = {
    "guide": person_form("guide", GUIDE_BASE, GUIDE_FIELDS),
    "callback": person_form("callback", CALLBACK_BASE, CALLBACK_FIELDS),
    "privacy_delete": deletion_form(),
    "links": secret_link(),
    "match_page": match_search("match_page"),
    "api_match": match_search("api_match"),
    "api_leads": api_lead(),
    "admin_people": person_search(),
}


def requests() -> st.SearchStrategy[Request]:
    """Any target's requests, the targets drawn about equally."""
    return st.one_of(*TARGETS.values())
