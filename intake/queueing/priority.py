"""Which callback an advocate should make next: the priority, as a formula and as an order.

    priority(item, now) = (first_attempt, past_target, urgency + waited)

compared as a tuple, larger first, where

    first_attempt = 1 if no one has called yet, else 0
                    (first attempts always come before retries)
    past_target   = 1 for a first attempt that has waited SPEED_TO_LEAD_TARGET
                    (5 minutes) or more since its clock started, else 0
                    (speed to lead: the score jumps as the wait passes the target)
    waited        = minutes since the item's clock started: for a first attempt
                    ``clock_from``, the later of when it became callable and the
                    time the person was promised (``intake.queueing.promise``);
                    for a retry, when it became callable again
    urgency       = minutes of waiting an item counts as, for what it says:
                    STAGE_4_MINUTES for a stage 4 diagnosis, ASAP_MINUTES when the
                    person chose "as soon as possible", RECENT_MINUTES when the
                    diagnosis is new (the case was opened in the last week)

and ties go to the older original request (``requested_at``).  Within one
class, ``urgency + waited`` grows by one point a minute for every item, so
its order never changes with time: it is the same as ordering by the
stored ``rank_key = urgency * 60 - clock`` (in seconds), which is
what the claim query sorts on, with an index.  A scheduled "call back at
3 PM" is callable from 3 PM and not a minute earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SPEED_TO_LEAD_TARGET = timedelta(minutes=5)
STAGE_4_MINUTES = 10
ASAP_MINUTES = 5
RECENT_MINUTES = 5
RECENT_DIAGNOSIS = timedelta(days=7)


@dataclass(frozen=True)
class Urgency:
    """What an item's request says about how soon it matters."""

    stage_4: bool = False
    asap: bool = False
    recent_diagnosis: bool = False

    @property
    def minutes(self) -> int:
        """The minutes of waiting these facts count as."""
        return (
            STAGE_4_MINUTES * self.stage_4
            + ASAP_MINUTES * self.asap
            + RECENT_MINUTES * self.recent_diagnosis
        )


def rank_key(urgency_minutes: int, clock_from: datetime) -> float:
    """The stored sort key: within a class, larger ranks first, whatever the time."""
    return urgency_minutes * 60.0 - clock_from.timestamp()


def priority(
    attempts: int, urgency_minutes: int, clock_from: datetime, now: datetime
) -> tuple[int, int, float]:
    """The priority tuple of one item at ``now`` (larger first; see the module docstring)."""
    waited = max((now - clock_from).total_seconds() / 60.0, 0.0)
    first = 1 if attempts == 0 else 0
    past_target = 1 if first and now - clock_from >= SPEED_TO_LEAD_TARGET else 0
    return (first, past_target, urgency_minutes + waited)


def sla_breached(attempts: int, clock_from: datetime, now: datetime) -> bool:
    """A first call not made within the target of its clock starting (``clock_from``)."""
    return attempts == 0 and now - clock_from >= SPEED_TO_LEAD_TARGET


def _span(span: timedelta, up: bool = False) -> str:
    """'4 min', '1 h 20 min', '2 days' (whole minutes, rounded up when ``up``)."""
    seconds = max(span.total_seconds(), 0.0)
    total = int(-(-seconds // 60)) if up else int(seconds // 60)
    if total < 60:
        return f"{total} min"
    if total < 48 * 60:
        return f"{total // 60} h {total % 60} min"
    return f"{total // (24 * 60)} days"


def words(attempts: int, clock_from: datetime, now: datetime) -> str:
    """The same priority in words for the console, counted from the item's ``clock_from``.

    A first call is 'due in 3 min' until the target passes, then 'waiting 12
    min past target'; a retry says when it is or was due.  Urgency changes
    the order, not these words.
    """
    target = clock_from + SPEED_TO_LEAD_TARGET
    if attempts and now < clock_from:
        text = f"retry, due in {_span(clock_from - now, up=True)}"
    elif attempts:
        text = f"retry, due {_span(now - clock_from)} ago"
    elif now >= target:
        text = f"waiting {_span(now - target)} past target"
    else:
        text = f"due in {_span(target - now, up=True)}"
    return text
