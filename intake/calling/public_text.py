"""The calling rules as a caller reads them: one sentence from their state's row.

The thank-you page used to say "between 8:00 AM and 9:00 PM" to everyone,
which is wrong in Rhode Island (9 to 6 on weekdays, none on Sundays), Texas
(from noon on Sundays) and Florida (until 8 PM).  The sentence is built from
the same row ``hours.py`` applies, so the two cannot drift apart.  Its words
come from the caller's ``gettext`` and ``clock`` (the reader's language),
which keeps this package pure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from intake.calling.places import Place
from intake.calling.rules import StateRule, Window, rule_for


def _(message: str) -> str:
    """Marks a msgid for the catalogue; the caller's gettext translates it when it is said."""
    return message


# one window's sentence part, by the days it covers (whole parts: Spanish orders them its own way)
_PART_BY_DAYS = {
    ("weekday", "saturday", "sunday"): _("between %(start)s and %(end)s"),
    ("weekday", "saturday"): _("between %(start)s and %(end)s Monday to Saturday"),
    ("weekday",): _("between %(start)s and %(end)s Monday to Friday"),
    ("weekday", "sunday"): _("between %(start)s and %(end)s Sunday to Friday"),
    ("saturday", "sunday"): _("between %(start)s and %(end)s on weekends"),
    ("saturday",): _("between %(start)s and %(end)s on Saturdays"),
    ("sunday",): _("between %(start)s and %(end)s on Sundays"),
}
_FIRST_PART_BY_DAYS = {
    ("weekday", "saturday", "sunday"): _("between %(start)s and %(end)s your time"),
    ("weekday", "saturday"): _("between %(start)s and %(end)s your time Monday to Saturday"),
    ("weekday",): _("between %(start)s and %(end)s your time Monday to Friday"),
    ("weekday", "sunday"): _("between %(start)s and %(end)s your time Sunday to Friday"),
    ("saturday", "sunday"): _("between %(start)s and %(end)s your time on weekends"),
    ("saturday",): _("between %(start)s and %(end)s your time on Saturdays"),
    ("sunday",): _("between %(start)s and %(end)s your time on Sundays"),
}
_NEVER = {
    (True, True): _("never on Sundays or holidays"),
    (True, False): _("never on Sundays"),
    (False, True): _("never on holidays"),
}


def english_clock(moment: time) -> str:
    """'9:00 AM', and 'noon' for 12:00."""
    return "noon" if moment == time(12) else moment.strftime("%-I:%M %p")


def _groups(rule: StateRule) -> list[tuple[Window, tuple[str, ...]]]:
    """Each distinct window with the days it covers, in week order."""
    groups: dict[Window, list[str]] = {}
    for day, window in (("weekday", rule.weekday), ("saturday", rule.saturday),
                        ("sunday", rule.sunday)):  # fmt: skip
        if window is not None:
            groups.setdefault(window, []).append(day)
    return [(window, tuple(days)) for window, days in groups.items()]


def hours_sentence(
    place: Place,
    gettext: Callable[[str], str] = str,
    clock: Callable[[time], str] = english_clock,
) -> str:
    """'Calls only happen between 9:00 AM and 6:00 PM your time Monday to Friday and ...'."""
    rule = rule_for(place.state)
    parts = []
    for index, (window, days) in enumerate(_groups(rule)):
        wording = (_FIRST_PART_BY_DAYS if index == 0 else _PART_BY_DAYS)[days]
        parts.append(gettext(wording) % {"start": clock(window[0]), "end": clock(window[1])})
    never = (rule.sunday is None, rule.holidays != "none")
    if any(never):
        parts.append(gettext(_NEVER[never]))
    if len(parts) == 1:
        said = parts[0]
    else:
        said = gettext(_("%(some)s, and %(last)s")) % {
            "some": ", ".join(parts[:-1]),
            "last": parts[-1],
        }
    return gettext(_("Calls only happen %(when)s.")) % {"when": said}
