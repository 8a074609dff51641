"""The calling rules as a caller reads them: one sentence from their state's row.

The thank-you page used to say "between 8:00 AM and 9:00 PM" to everyone,
which is wrong in Rhode Island (9 to 6 on weekdays, none on Sundays), Texas
(from noon on Sundays) and Florida (until 8 PM).  The sentence is built from
the same row ``hours.py`` applies, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import time

from intake.calling.places import Place
from intake.calling.rules import StateRule, Window, rule_for

# which days a window covers, named as a caller says them
_DAY_WORDS = {
    ("weekday", "saturday", "sunday"): "",
    ("weekday", "saturday"): " Monday to Saturday",
    ("weekday",): " Monday to Friday",
    ("weekday", "sunday"): " Sunday to Friday",
    ("saturday", "sunday"): " on weekends",
    ("saturday",): " on Saturdays",
    ("sunday",): " on Sundays",
}


def _clock(moment: time) -> str:
    return "noon" if moment == time(12) else moment.strftime("%-I:%M %p")


def _groups(rule: StateRule) -> list[tuple[Window, tuple[str, ...]]]:
    """Each distinct window with the days it covers, in week order."""
    groups: dict[Window, list[str]] = {}
    for day, window in (("weekday", rule.weekday), ("saturday", rule.saturday),
                        ("sunday", rule.sunday)):  # fmt: skip
        if window is not None:
            groups.setdefault(window, []).append(day)
    return [(window, tuple(days)) for window, days in groups.items()]


def hours_sentence(place: Place) -> str:
    """'Calls only happen between 9:00 AM and 6:00 PM your time Monday to Friday and ...'."""
    rule = rule_for(place.state)
    parts = []
    for index, (window, days) in enumerate(_groups(rule)):
        yours = " your time" if index == 0 else ""
        parts.append(
            f"between {_clock(window[0])} and {_clock(window[1])}{yours}{_DAY_WORDS[days]}"
        )
    never = ["Sundays"] if rule.sunday is None else []
    never += ["holidays"] if rule.holidays != "none" else []
    if never:
        parts.append("never on " + " or ".join(never))
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    return f"Calls only happen {said}."
