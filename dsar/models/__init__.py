"""SQLAlchemy 2 typed models, one module per aggregate; imported here so Alembic sees all."""
from dsar.models.base import Base, for_tenant, utcnow
from dsar.models.file_deletions import FileDeletion
from dsar.models.identifiers import RequestIdentifier
from dsar.models.operations import AuditEvent, Export, JobLease, JobRun, OutboxMessage
from dsar.models.outbox_secret import OutboxSecret
from dsar.models.request import Reminder, RightsRequest, Suppression, Task, VerificationChallenge
from dsar.models.staff import ROLES, ApiToken, Membership, User
from dsar.models.staff_accounts import Invitation, PasswordReset, RecoveryCode
from dsar.models.tenant import Tenant

__all__ = [
    "ApiToken", "AuditEvent", "Base", "Export", "FileDeletion", "Invitation", "JobLease", "JobRun", "Membership",
    "OutboxMessage", "OutboxSecret", "PasswordReset", "RecoveryCode",
    "ROLES", "Reminder", "RequestIdentifier", "RightsRequest", "Suppression", "Task", "Tenant", "User",
    "VerificationChallenge", "for_tenant", "utcnow",
]
