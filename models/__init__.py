"""SQLModel tables, one module per area. Importing this package registers every table."""

from models.access import AccessChange, AccessChangeKind
from models.audit import AuditEvent
from models.base import utcnow
from models.clients import Client
from models.discussion import DiscussionPost
from models.documents import Document
from models.emails import Email, EmailDirection, EmailStatus
from models.filings import (
    ACTIVE_FILING_STATUSES,
    Filing,
    FilingEvent,
    FilingStatus,
    ReviewStage,
)
from models.firms import Firm
from models.links import AccountLink, LinkKind, ResetRequest
from models.notifications import (
    MailKind,
    MailStatus,
    Notification,
    NotificationKind,
    QueuedMail,
)
from models.passkeys import Passkey, WebAuthnChallenge
from models.second_factor import FactorFailure, RecoveryCode, SignInChallenge
from models.sessions import LoginSession, SignInAttempt
from models.steps import ChecklistItem, Step, StepComment, StepStatus, TimeEntry
from models.submissions import Submission
from models.templates import FilingTemplate, TemplateStep
from models.users import SEAT_ROLES, User, UserRole

__all__ = [
    "ACTIVE_FILING_STATUSES",
    "SEAT_ROLES",
    "AccessChange",
    "AccessChangeKind",
    "AccountLink",
    "AuditEvent",
    "ChecklistItem",
    "Client",
    "DiscussionPost",
    "Document",
    "Email",
    "EmailDirection",
    "EmailStatus",
    "FactorFailure",
    "Filing",
    "FilingEvent",
    "FilingStatus",
    "FilingTemplate",
    "Firm",
    "LinkKind",
    "LoginSession",
    "MailKind",
    "MailStatus",
    "Notification",
    "NotificationKind",
    "Passkey",
    "QueuedMail",
    "RecoveryCode",
    "ResetRequest",
    "ReviewStage",
    "SignInAttempt",
    "SignInChallenge",
    "Step",
    "StepComment",
    "StepStatus",
    "Submission",
    "TemplateStep",
    "TimeEntry",
    "User",
    "UserRole",
    "WebAuthnChallenge",
    "utcnow",
]
