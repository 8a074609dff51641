"""When a patient advocate may call a patient: pure rules, no Flask or database.

The rule table (``rules.py``) is CALLING_RULES.md as data, one row per state with its
source; ``hours.py`` turns it into allowed instants in the patient's own time zone.
"""

from intake.calling.hours import (
    Decision,
    NoCallingWindow,
    check,
    describe,
    next_allowed,
    window_on,
)
from intake.calling.places import Place, UnknownZip, locate, place_for
from intake.calling.rules import CHOSEN_WINDOWS, FEDERAL, RULES, StateRule, Window, rule_for

__all__ = [
    "CHOSEN_WINDOWS",
    "FEDERAL",
    "RULES",
    "Decision",
    "NoCallingWindow",
    "Place",
    "StateRule",
    "UnknownZip",
    "Window",
    "check",
    "describe",
    "locate",
    "next_allowed",
    "place_for",
    "rule_for",
    "window_on",
]
