"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.audit import AuditEvent
from intake.models.base import Base
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, Contact
from intake.models.outbox import OutboxMessage
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch, Specialist
from intake.models.submission import Submission
from intake.models.user import User

__all__ = [
    "AuditEvent",
    "Base",
    "CallbackRequest",
    "Case",
    "CaseContact",
    "CaseMatch",
    "ConsentRecord",
    "Contact",
    "GuideRequest",
    "OutboxMessage",
    "Specialist",
    "Submission",
    "User",
]
