"""The audit log writer: every staff change, export and sign-in leaves one row.

``detail`` carries field names and counts only.  Values (names, phone
numbers, what was typed) never go in, so the log itself holds no personal data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.models.audit import AuditEvent
from intake.models.user import User

Actor = User | str | None


def actor_label(actor: Actor) -> str:
    """The name an actor is recorded under: a staff email, "cli", or "anonymous"."""
    if isinstance(actor, User):
        return actor.label
    return actor or "anonymous"


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction, so it commits (or not) with the change."""
    event = AuditEvent(
        actor_id=actor.id if isinstance(actor, User) else None,
        actor_label=actor_label(actor)[:254],
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:80],
        detail=dict(detail or {}),
        ip=(ip or None) and ip[:45],
    )
    session.add(event)
    session.flush()
    return event
