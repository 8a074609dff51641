"""When to try again after a call that did not reach anyone, and when to stop.

The gap grows with each unanswered attempt (people are at appointments, at
work, asleep after a bad night): 30 minutes, 2 hours, 4 hours, then the next
day's window.  The calling rules then move the time into the patient's
allowed hours and their chosen window, and the state's cap per 24 hours
applies on top.  After ``MAX_ATTEMPTS`` unanswered attempts the item is
exhausted, and a "we tried to reach you" email goes out where the person
consented to emails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_ATTEMPTS = 6
GAPS = (
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=20),
    timedelta(hours=24),
)

NO_ANSWER = "no_answer"
VOICEMAIL = "left_voicemail"


def exhausted(attempts: int) -> bool:
    """True once an item has had every attempt we make."""
    return attempts >= MAX_ATTEMPTS


def next_try(attempts: int, now: datetime) -> datetime:
    """The earliest moment for the next attempt after ``attempts`` unanswered ones."""
    gap = GAPS[min(max(attempts, 1), len(GAPS)) - 1]
    return now + gap
