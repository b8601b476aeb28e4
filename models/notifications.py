"""What the app tells people about their work: the in-app notifications and the mail queue.

Both rows are written in the transaction of the action they are about (an assignment), so
they commit or vanish with it. Neither holds the words of a message: an email is composed when
it is sent, and an in-app line when it is listed, each through the access rule at that moment,
so nothing here can later show a client name its reader may no longer see.

Steps are named by id only, without a foreign key: a removed step's notification stays, and
says only that the task is no longer theirs.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import utcnow


class NotificationKind(StrEnum):
    ASSIGNED = "step.assigned"
    # A reviewer returned the filing and reopened this step (review and sign-off).
    RETURNED = "step.returned"


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        # The header's unread count on every page: one index range per person.
        Index("ix_notification_user_read_at", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    # Who it is for.
    user_id: int = Field(foreign_key="user_account.id")
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    step_id: int
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)


class MailKind(StrEnum):
    ASSIGNMENT = "assignment"
    DIGEST = "digest"
    INVITE = "invite"
    RESET = "reset"


class MailStatus(StrEnum):
    # Waiting for its first try, or for the next one after a failure (attempts > 0).
    PENDING = "pending"
    # Claimed by one sender; back to pending if that sender died (see the lease).
    SENDING = "sending"
    SENT = "sent"
    # Not sent on purpose (the step was reassigned, the person switched it off...): see reason.
    SKIPPED = "skipped"
    # Given up after the last try; an admin can try again.
    FAILED = "failed"


class QueuedMail(SQLModel, table=True):
    __tablename__ = "mail_queue"
    __table_args__ = (
        # One digest per person per local morning, however many senders run: the second
        # insert of the same (user, date) is a conflict, not a second mail. Assignment mails
        # leave digest_date empty, which never conflicts.
        UniqueConstraint("user_id", "digest_date", name="uq_mail_queue_user_digest_date"),
        # What the sender picks up: due rows by status and time.
        Index("ix_mail_queue_status_next", "status", "next_attempt_at"),
        Index("ix_mail_queue_firm_status", "firm_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    user_id: int = Field(foreign_key="user_account.id")
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    step_id: int | None = Field(default=None)
    # The invitation or reset link an INVITE or RESET mail carries (models/links.py).
    link_id: int | None = Field(default=None, foreign_key="account_link.id")
    # The firm's local date a digest is for; empty for any other mail.
    digest_date: date | None = Field(default=None)
    status: str = Field(sa_column=Column(String(20), nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    # Why a mail was skipped, in words for an admin.
    reason: str = Field(default="", max_length=200)
    message_id: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)
