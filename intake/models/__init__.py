"""All models, imported here so Alembic and the app see the whole schema."""

from intake.models.audit import AuditEvent
from intake.models.base import Base
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, CaseFact, Contact, PossibleMatch
from intake.models.email import EmailDelivery, EmailSuppression
from intake.models.fulfilment import FulfilmentItem, PrintBatch
from intake.models.outbox import OutboxMessage
from intake.models.partner import ApiKey, IdempotencyRecord, Partner
from intake.models.privacy import DeletionRequest
from intake.models.queue import CallAttempt, QueueItem, StaffAlert
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch, Specialist
from intake.models.staff_session import StaffSession
from intake.models.submission import Submission
from intake.models.user import User

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "CallAttempt",
    "CallbackRequest",
    "Case",
    "CaseContact",
    "CaseFact",
    "CaseMatch",
    "ConsentRecord",
    "Contact",
    "DeletionRequest",
    "EmailDelivery",
    "EmailSuppression",
    "FulfilmentItem",
    "GuideRequest",
    "IdempotencyRecord",
    "OutboxMessage",
    "Partner",
    "PossibleMatch",
    "PrintBatch",
    "QueueItem",
    "Specialist",
    "StaffAlert",
    "StaffSession",
    "Submission",
    "User",
]
