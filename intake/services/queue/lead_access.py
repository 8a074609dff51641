"""Who may open a lead's page, and how: to work the call, to read it ahead, or not at all.

The advocate holding the claim works the lead (and an admin may open any).
An advocate's own scheduled call back, before it is due, may be read so they
can prepare, but not worked: nobody has claimed it, so no outcome may be
logged and no lease is taken.  Anyone else gets a reason in plain words and
the way back to the queue, never a bare "Forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from intake.models.queue import CLAIMED, CLOSED, WAITING, QueueItem
from intake.models.user import User

WORK, READ_ONLY, REFUSED = "work", "read_only", "refused"

# Why a lead is not this advocate's to open, in words the page shows.
REASONS = {
    "claimed_by_other": "Another advocate is working this call right now.",
    "unclaimed": (
        "Nobody has claimed this call yet. Calls are handed out one at a time by "
        "“Claim next call”, so the person most in need is called first."
    ),
    "due_now": (
        "This is your call back and it is due now. Press “Claim next call”: "
        "your own call backs come to you first."
    ),
    "others_call_back": "This is a call back another advocate arranged.",
    "closed": "This request is closed: there is no call left to make.",
    "not_due_yet": (
        "This call back is not due yet. You can read the case to prepare; the call is "
        "logged once it is due and “Claim next call” has given it to you."
    ),
}


@dataclass(frozen=True)
class Access:
    """The verdict: ``mode`` is work, read_only or refused; ``reason`` a key of REASONS."""

    mode: str
    reason: str = ""

    @property
    def message(self) -> str:
        """What the refusal page says."""
        return REASONS.get(self.reason, "")


def access_for(item: QueueItem, staff: User, now: datetime) -> Access:
    """How ``staff`` may open ``item``'s page at ``now``."""
    if staff.is_admin or (item.status == CLAIMED and item.claimed_by_id == staff.id):
        return Access(WORK)
    if item.status in CLOSED:
        return Access(REFUSED, "closed")
    if item.status == CLAIMED:
        return Access(REFUSED, "claimed_by_other")
    own = item.preferred_advocate_id == staff.id
    if own and item.status in WAITING:
        return Access(READ_ONLY) if item.callable_from > now else Access(REFUSED, "due_now")
    if item.preferred_advocate_id is not None:
        return Access(REFUSED, "others_call_back")
    return Access(REFUSED, "unclaimed")


def may_act(item: QueueItem, staff: User, now: datetime) -> Access:
    """For the lead's forms (outcome, release, household): only those who work it may."""
    verdict = access_for(item, staff, now)
    if verdict.mode == READ_ONLY:
        return Access(REFUSED, "not_due_yet")
    return verdict
