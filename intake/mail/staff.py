"""Emails to staff (password links, queue alerts): a refusal is a failure, never a silent drop.

Patients' emails keep a delivery row each (``services/email``); a staff
email is one job's work, so its answer decides the job: a server that
refuses (for now or for good) fails the job, which the outbox runs again
and, after its last try, shows admins as waiting for a person.  An unknown
outcome (the connection dropped after the message was handed over) is not
sent again: it may have arrived, and a second copy of a password link would
replace the first.
"""

from __future__ import annotations

import logging
from typing import Any

from intake.mail.compose import Outgoing
from intake.mail.transport import ACCEPTED, UNKNOWN, Outcome

log = logging.getLogger(__name__)


class StaffMailRefused(Exception):
    """The mail server did not take a staff email; the message says how (no address)."""


def send(transport: Any, message: Outgoing, purpose: str) -> Outcome:
    """Hand one staff email over; raise ``StaffMailRefused`` unless taken (or unknown)."""
    outcome: Outcome = transport.send(
        message.sender, message.recipient, message.data, quoted=message.quoted
    )
    if outcome.kind == UNKNOWN:
        log.warning("%s email: outcome unknown, not sent again (%s)", purpose, outcome.describe())
    elif outcome.kind != ACCEPTED:
        raise StaffMailRefused(f"{purpose} email not taken: {outcome.describe()}")
    return outcome
