"""The calling rules as data: one entry per row of CALLING_RULES.md, each with its source.

A change of law is a one-line change to a row here and a reviewed diff; ``hours.py``
only interprets these rows.  Hours are local wall-clock times and the end is exclusive
(a 21:00 end means the last call starts at 20:59).  Holiday calendars come from the
``holidays`` package (``holidays.US(subdiv=code)``); where a statute's list differs from
the package, the row's ``add_holidays`` / ``drop_holidays`` correct it and a comment says
what differs.  Narrowing is always the safe direction, so days the package has beyond a
statute are kept (and named in the comment) rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

Window = tuple[time, time]
HolidayPolicy = Literal["none", "state", "state_observed", "state_or_federal"]

MONDAY = 0


def _easter(year: int) -> date:
    """Western Easter Sunday (Meeus/Jones/Butcher), for Good Friday and Mardi Gras."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class Fixed:
    """A holiday on the same date every year (optionally also kept on the next Monday)."""

    name: str
    month: int
    day: int
    monday_if_weekend: bool = False  # R.I.: a Saturday or Sunday holiday is kept on Monday

    def days(self, year: int) -> list[tuple[date, str]]:
        """The day itself, plus the Monday after when it falls on a weekend and that applies."""
        day = date(year, self.month, self.day)
        if self.monday_if_weekend and day.weekday() >= 5:
            monday = day + timedelta(days=7 - day.weekday())
            return [(day, self.name), (monday, f"{self.name} (observed)")]
        return [(day, self.name)]


@dataclass(frozen=True)
class NthWeekday:
    """A holiday on the n-th given weekday of a month (n = -1 for the last one)."""

    name: str
    month: int
    weekday: int
    n: int

    def days(self, year: int) -> list[tuple[date, str]]:
        """The one day this rule gives in a year."""
        return [(self.in_year(year), self.name)]

    def in_year(self, year: int) -> date:
        """The n-th (or last) such weekday of the month in that year."""
        if self.n > 0:
            first = date(year, self.month, 1)
            return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.n - 1))
        last = date(year + self.month // 12, self.month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)


@dataclass(frozen=True)
class EasterOffset:
    """A holiday a fixed number of days from Easter Sunday (Good Friday -2, Mardi Gras -47)."""

    name: str
    offset: int

    def days(self, year: int) -> list[tuple[date, str]]:
        """The one day this rule gives in a year."""
        return [(_easter(year) + timedelta(days=self.offset), self.name)]


@dataclass(frozen=True)
class ElectionDay:
    """The Tuesday after the first Monday of November (every year, or even years only)."""

    name: str
    even_years_only: bool

    def days(self, year: int) -> list[tuple[date, str]]:
        """Election day of that year, or nothing in an odd year when only even years count."""
        if self.even_years_only and year % 2:
            return []
        first_monday = NthWeekday(self.name, 11, MONDAY, 1).in_year(year)
        return [(first_monday + timedelta(days=1), self.name)]


HolidayRule = Fixed | NthWeekday | EasterOffset | ElectionDay


@dataclass(frozen=True)
class StateRule:
    """One row of the table: local hours by day type, holidays, the attempt cap and the source."""

    code: str  # two-letter state code, or "federal" for the default row
    weekday: Window | None  # Monday to Friday; None = no calls
    saturday: Window | None
    sunday: Window | None
    holidays: HolidayPolicy
    attempt_cap_24h: int | None  # attempts per phone number in any rolling 24 hours
    source: str
    add_holidays: tuple[HolidayRule, ...] = ()  # statutory days the package lacks
    drop_holidays: tuple[str, ...] = ()  # package day names the statute does not have


def _w(start: int, end: int) -> Window:
    return (time(start), time(end))


W8_21, W8_20, W9_20, W9_21, W10_21 = _w(8, 21), _w(8, 20), _w(9, 20), _w(9, 21), _w(10, 21)

# La. R.S. 1:55(A)(1) names days the package's LA calendar lacks.  The package also has
# Juneteenth and Election Day (kept: narrower is safe).  Not modelled: Inauguration Day
# (city of Baton Rouge only) and days the governor proclaims.
LA_EXTRA: tuple[HolidayRule, ...] = (
    Fixed("Battle of New Orleans", 1, 8),
    Fixed("Huey P. Long Day", 8, 30),
    NthWeekday("Columbus Day", 10, MONDAY, 2),
    Fixed("All Saints' Day", 11, 1),
)
# Ala. Code 1-3-8 makes Mardi Gras a holiday in Baldwin and Mobile counties only; we cannot
# tell the county from the stored fields, so it is kept statewide.  The package matches the
# rest (incl. Confederate Memorial Day, Jefferson Davis' birthday, Juneteenth).
AL_EXTRA: tuple[HolidayRule, ...] = (EasterOffset("Mardi Gras", -47),)
# R.I. Gen. Laws 25-1-1: the package's RI calendar lacks May 4 and general election day (even
# years), and keeps a Saturday holiday on Friday (federal) where the statute keeps it on Monday
# (both are barred: the rule covers state OR federal holidays).
RI_EXTRA: tuple[HolidayRule, ...] = (
    Fixed("New Year's Day", 1, 1, monday_if_weekend=True),
    Fixed("Rhode Island Independence Day", 5, 4),
    Fixed("Independence Day", 7, 4, monday_if_weekend=True),
    ElectionDay("General Election Day", even_years_only=True),
    Fixed("Veterans Day", 11, 11, monday_if_weekend=True),
    Fixed("Christmas Day", 12, 25, monday_if_weekend=True),
)
# 73 P.S. 2245.2 bars calls on the legal holidays of 44 P.S. 11: the package's PA calendar lacks
# Good Friday, Flag Day and Election Day.  It has the Day After Thanksgiving and Juneteenth,
# which that list does not (kept: narrower is safe; add them to drop_holidays to follow it).
PA_EXTRA: tuple[HolidayRule, ...] = (
    EasterOffset("Good Friday", -2),
    Fixed("Flag Day", 6, 14),
    ElectionDay("Election Day", even_years_only=False),
)
# Utah Code 63G-1-301: the package's UT calendar matches (Pioneer Day, Sat->Fri, Sun->Mon).

FEDERAL = StateRule("federal", W8_21, W8_21, W8_21, "none", None, "47 CFR 64.1200(c)(1)")

# fmt: off
# code, Mon-Fri, Saturday, Sunday (None = no calls), holidays, cap per 24 h, source, extra days
STATE_RULES: tuple[StateRule, ...] = (
    StateRule("FL", W8_20, W8_20, W8_20, "none", 3, "Fla. Stat. 501.616(6) (2021 amendments)"),
    StateRule("OK", W8_20, W8_20, W8_20, "none", 3, "15 O.S. 775C.4"),
    StateRule("MD", W8_20, W8_20, W8_20, "none", 3,
              "Md. Com. Law 14-4502 (Stop the Spam Calls Act)"),
    StateRule("WA", W8_20, W8_20, W8_20, "none", None, "RCW 80.36.390, RCW 19.158.040"),
    StateRule("CT", W9_20, W9_20, W9_20, "none", None, "Conn. Gen. Stat. 42-288a (Oct 2023)"),
    StateRule("TX", W9_21, W9_21, _w(12, 21), "none", None, "Tex. Bus. & Com. Code 301.051"),
    StateRule("LA", W8_20, W8_20, None, "state", None, "LPSC General Order R-29617", LA_EXTRA),
    StateRule("AL", W8_20, W8_20, None, "state_observed", None,
              "Ala. Admin. Code r.770-X-5-.17", AL_EXTRA),
    StateRule("MS", W8_20, W8_20, None, "none", None, "Miss. Code 77-3-723"),
    StateRule("UT", W8_21, W8_21, None, "state", None, "Utah Code 13-25a-103"),
    StateRule("RI", _w(9, 18), _w(10, 17), None, "state_or_federal", None,
              "R.I. Gen. Laws 5-61-3.6", RI_EXTRA),
    StateRule("PA", W8_21, W8_21, W8_21, "state", None, "73 P.S. 2245.2 (HB 318)", PA_EXTRA),
    StateRule("KY", W10_21, W10_21, W10_21, "none", None, "vendor table"),
    StateRule("MA", W8_20, W8_20, W8_20, "none", None, "vendor table"),
    StateRule("MI", W9_21, W9_21, W9_21, "none", None, "vendor table"),  # table row "MI, MN, NM"
    StateRule("MN", W9_21, W9_21, W9_21, "none", None, "vendor table"),
    StateRule("NM", W9_21, W9_21, W9_21, "none", None, "vendor table"),
    StateRule("NV", W9_20, W9_20, W9_20, "none", None, "vendor table"),
)
# fmt: on
RULES: dict[str, StateRule] = {rule.code: rule for rule in STATE_RULES}

# For staff-facing reasons ("Sunday: no calls in Louisiana").
STATE_NAMES: dict[str, str] = {
    "FL": "Florida", "OK": "Oklahoma", "MD": "Maryland", "WA": "Washington",
    "CT": "Connecticut", "TX": "Texas", "LA": "Louisiana", "AL": "Alabama",
    "MS": "Mississippi", "UT": "Utah", "RI": "Rhode Island", "PA": "Pennsylvania",
    "KY": "Kentucky", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "NM": "New Mexico", "NV": "Nevada",
}  # fmt: skip

# The patient's chosen window (intake.vocab.BEST_TIMES); None = no narrowing.
CHOSEN_WINDOWS: dict[str, Window | None] = {
    "asap": None,
    "morning": _w(8, 12),
    "afternoon": _w(12, 17),
    "evening": _w(17, 21),
}

# Unknown time zone: no call before 8:00 AM in Hawaii (UTC-10, no DST: 18:00 UTC) nor from
# 8:00 PM in Puerto Rico (UTC-4, no DST: 00:00 UTC).  It stops one minute short, at 23:59 UTC,
# so the window stays inside one UTC day and is a plain pair of times (one minute narrower).
UNKNOWN_ZONE_UTC: Window = (time(18, 0), time(23, 59))
UNKNOWN_ZONE_BOUNDS = ("Pacific/Honolulu", time(8)), ("America/Puerto_Rico", time(20))

# Every row leaves at least one day a week open, so a week always has a window; two
# weeks covers holiday clusters.  The search stops there rather than looping forever.
SEARCH_DAYS = 14


def rule_for(state: str | None) -> StateRule:
    """The row that governs calls to a state: its own when listed, the federal one otherwise."""
    return RULES.get((state or "").upper(), FEDERAL)
