"""The specialist CSV format (spec section 5): parse and check every row, and write it back.

Pure functions over text: no database.  Checking reports *every* problem
with its line number and column, so an admin can fix a file in one pass;
the import refuses the whole file while any problem remains.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from intake import csv_cells
from intake.matching import geo
from intake.matching.types import CANCER_TYPES, SPECIALTIES, TREATMENTS
from intake.vocab import US_STATES

COLUMNS = (
    "listing_id", "npi", "first_name", "last_name", "credentials", "specialty", "institution",
    "address", "city", "state", "zip", "cancer_types", "treatments", "accepts_va",
    "accepting_new_patients", "telehealth", "languages", "active", "phone", "email", "website",
)  # fmt: skip
REQUIRED = ("listing_id", "first_name", "last_name", "specialty", "institution", "city", "state",
            "zip", "cancer_types")  # fmt: skip
BOOLEAN_DEFAULTS = {"accepts_va": False, "accepting_new_patients": True, "telehealth": False,
                    "active": True}  # fmt: skip
LIST_COLUMNS = {"cancer_types": CANCER_TYPES, "treatments": TREATMENTS, "languages": None}
MAX_LENGTHS = {"first_name": 80, "last_name": 80, "credentials": 60, "institution": 200,
               "address": 200, "city": 80, "phone": 40, "email": 254, "website": 300}  # fmt: skip
MAX_ROWS = 50_000

_LISTING_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_FORMULA_STARTS = {"=", "+", "-", "@"}
# where a listing may be: the states, DC and Puerto Rico (its numbers are region PR, not US)
PHONE_REGIONS = frozenset({"US", "PR"})
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, where an admin can find it."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ParsedFile:
    """Clean rows ready to upsert (keyed by listing_id), and every problem found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file may be imported."""
        return not self.problems


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over the prefix 80840 and the first nine digits."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    total = 0
    for index, char in enumerate(reversed("80840" + npi[:9])):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def parse(text: str) -> ParsedFile:
    """Check a whole CSV file; rows come back normalised (lists sorted, booleans, point)."""
    result = ParsedFile()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in REQUIRED if name not in header]
    result.problems += [Problem(1, name, "required column is missing") for name in missing]
    unknown = [name for name in header if name not in COLUMNS]
    result.problems += [Problem(1, name, "unknown column") for name in unknown]
    if missing:
        return result
    first_seen: dict[str, int] = {}
    try:
        _parse_rows(reader, result, first_seen)
    except csv.Error:  # a cell past the csv module's field limit, or a broken quote
        line = reader.line_num
        limit = csv.field_size_limit()
        message = f"a cell is longer than {limit:,} characters, or a quote is not closed"
        result.problems.append(Problem(line, "(row)", message))
    return result


def _parse_rows(
    reader: csv.DictReader[str], result: ParsedFile, first_seen: dict[str, int]
) -> None:
    """Check each row in turn, collecting clean rows and problems into ``result``."""
    for line, raw in _numbered(reader):
        if len(result.rows) >= MAX_ROWS:
            result.problems.append(Problem(line, "listing_id", f"more than {MAX_ROWS} rows"))
            break
        row, problems = parse_row(raw, line)
        listing_id = row.get("listing_id")
        if listing_id and listing_id in first_seen:
            problems.append(
                Problem(line, "listing_id", f"duplicate of line {first_seen[listing_id]}")
            )
        elif listing_id:
            first_seen[listing_id] = line
        result.problems += problems
        if not problems:
            result.rows.append(row)


def _numbered(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows with the file line each starts on (quoted fields may span lines)."""
    start = reader.line_num + 1
    for raw in reader:
        if any((value or "").strip() for key, value in raw.items() if key is not None):
            yield start, raw
        start = reader.line_num + 1


def parse_row(raw: dict[str, Any], line: int) -> tuple[dict[str, Any], list[Problem]]:
    """One row's clean values and its problems; used by the file import and the admin form."""
    problems: list[Problem] = []
    if raw.get(None):  # type: ignore[call-overload]
        problems.append(Problem(line, "(row)", "more values than columns in the header"))
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    row: dict[str, Any] = {}
    for name in COLUMNS:
        try:
            row[name] = _clean(name, values[name], values)
        except ValueError as exc:
            problems.append(Problem(line, name, str(exc)))
    point = geo.lookup(row.get("zip") or "")
    if point is not None:
        row["lat"], row["lon"], row["timezone"] = point.lat, point.lon, point.timezone
    return row, problems


def _clean(name: str, value: str, values: dict[str, str]) -> Any:
    if value[:1] == "'" and value[1:2] in csv_cells.FORMULA_STARTS:
        value = value[1:]  # our own export's guard against formulas, read back
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("contains a control character or line break")
    if any(unicodedata.category(ch) == "Cf" for ch in value):
        # U+202E and friends reorder what a reader sees; zero-width ones hide text
        raise ValueError("contains an invisible or text-direction character (such as U+202E)")
    if name in REQUIRED and not value:
        raise ValueError("is required")
    if value[:1] in _FORMULA_STARTS:
        raise ValueError(
            "must not start with =, +, - or @ (spreadsheets run such cells as formulas)"
        )
    if name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
        raise ValueError(f"is longer than {MAX_LENGTHS[name]} characters")
    checker = _CHECKERS.get(name)
    if checker is not None:
        return checker(value, values)
    if name in BOOLEAN_DEFAULTS:
        return _yes_no(value, BOOLEAN_DEFAULTS[name])
    if name in LIST_COLUMNS:
        return _choices(name, value)
    return value or None


def _yes_no(value: str, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in {"yes", "no"}:
        return lowered == "yes"
    raise ValueError(f"must be yes or no, not {value!r}")


def _choices(name: str, value: str) -> list[str]:
    items = sorted({item.strip() for item in value.split(";") if item.strip()})
    if name == "languages":
        bad = [item for item in items if not _LANGUAGE_RE.match(item)]
        if bad:
            raise ValueError(f"not a two-letter ISO 639-1 code: {', '.join(bad)}")
        return items or ["en"]
    allowed = LIST_COLUMNS[name] or ()
    bad = [item for item in items if item not in allowed]
    if bad:
        label = "cancer type" if name == "cancer_types" else "treatment"
        raise ValueError(f"unknown {label}: {', '.join(bad)} (allowed: {', '.join(allowed)})")
    if name == "cancer_types" and not items:
        raise ValueError("is required")
    return items


def _listing_id(value: str, values: dict[str, str]) -> str:
    if not _LISTING_ID_RE.match(value):
        raise ValueError("use letters, digits, '.', '_' or '-' (at most 40), e.g. SPC-0042")
    return value


def _npi(value: str, values: dict[str, str]) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{10}", value):
        raise ValueError("must be 10 digits")
    if not npi_is_valid(value):
        raise ValueError("check digit is wrong (Luhn over 80840 + the first nine digits)")
    return value


def _specialty(value: str, values: dict[str, str]) -> str:
    if value not in SPECIALTIES:
        raise ValueError(f"unknown specialty {value!r} (allowed: {', '.join(SPECIALTIES)})")
    return value


def _state(value: str, values: dict[str, str]) -> str:
    if value.upper() not in US_STATES:
        raise ValueError(f"{value!r} is not a two-letter US state, DC or PR")
    return value.upper()


def _zip(value: str, values: dict[str, str]) -> str:
    if not geo.is_well_formed(value):
        raise ValueError(f"{value!r} is not a 5-digit ZIP code")
    point = geo.lookup(value)
    if point is None:
        raise ValueError(f"ZIP code {value} does not exist")
    return value


def _email(value: str, values: dict[str, str]) -> str | None:
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"{value!r} is not an email address") from None


def _phone(value: str, values: dict[str, str]) -> str | None:
    """A number ``phonenumbers`` calls valid in the US (or Puerto Rico), kept as it is shown.

    Stored in the national format, "(312) 555-0117" (with " ext. 12" when
    given): a listing's phone is only ever shown, on the match cards, in the
    guide and by the match API, so it is kept as people read it; contacts'
    phones are E.164 because they are looked up.  Seven digits with no area
    code ("555-0102") are not a number anyone can dial from elsewhere.  The
    fictional 555-0100 to 555-0199 range with a real area code passes the
    library's check, so the demo listings need no exception.
    """
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) not in PHONE_REGIONS
    ):
        raise ValueError(
            f"{value!r} is not a valid US phone number: give it with the area code, "
            "like (212) 555-0143"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _website(value: str, values: dict[str, str]) -> str | None:
    if value and not _URL_RE.match(value):
        raise ValueError("must start with http:// or https://")
    return value or None


_CHECKERS = {"listing_id": _listing_id, "npi": _npi, "specialty": _specialty, "state": _state,
             "zip": _zip, "email": _email, "website": _website, "phone": _phone}  # fmt: skip


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Write rows in the spec's column order; importing the result changes nothing.

    Every cell goes through ``csv_cells.safe_cell`` whatever is stored (rows
    saved before today's import rules too), and the import reads that guard back.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cells.safe_cell(_cell(row.get(name))) for name in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(sorted(value))
    return str(value)
