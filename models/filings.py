"""Filings: one piece of work for a client (a GST/HST return, a payroll run, a year's books)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, text
from sqlmodel import Field, SQLModel

from models.base import utcnow


class FilingStatus(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    FILED = "filed"
    CANCELLED = "cancelled"


# Only steps on filings in these statuses give a bookkeeper access to the client.
ACTIVE_FILING_STATUSES = (FilingStatus.OPEN.value, FilingStatus.IN_REVIEW.value)


class Filing(SQLModel, table=True):
    __tablename__ = "filing"
    __table_args__ = (
        Index("ix_filing_client_status", "client_id", "status"),
        Index("ix_filing_firm_status_due", "firm_id", "status", "due_date"),
        # Recurring filings the schedule looks at, by firm.
        Index("ix_filing_firm_recurrence_due", "firm_id", "recurrence", "due_date"),
        # At most one next filing for each filing, however often it is filed or by how many.
        Index("ux_filing_previous", "previous_filing_id", unique=True),
        # Whether filings came from a template (deleting it archives it instead).
        Index("ix_filing_template", "template_id"),
        # "Waiting for your review" on the firm home: a person's filings at their stage.
        Index("ix_filing_reviewer_stage", "reviewer_id", "review_stage"),
        Index("ix_filing_approver_stage", "approver_id", "review_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    client_id: int = Field(foreign_key="client.id")
    kind: str = Field(max_length=40)
    period: str = Field(default="", max_length=60)
    due_date: date | None = Field(default=None)
    status: str = Field(sa_column=Column(String(20), nullable=False))
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    approver_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who made the last change, so a conflicting editor is told who it was.
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    closed_at: datetime | None = Field(default=None)
    version: int = Field(default=1)
    # Recurring filings: "" (once), "monthly", "quarterly" or "yearly"; the template the
    # filing came from, and the filing it follows (portal/services/recurrence.py).
    recurrence: str = Field(default="", max_length=12)
    template_id: int | None = Field(default=None, foreign_key="filing_template.id")
    previous_filing_id: int | None = Field(default=None, foreign_key="filing.id")
    # Review and sign-off (portal/services/review.py): the stage, bumped `review_version`
    # on every review transition (so a page acts only from the round it showed), who moved
    # it last and when, and who approved and signed off. The status stays "in_review" all
    # through review, so the access rule is unchanged.
    review_stage: str = Field(
        default="", max_length=20, sa_column_kwargs={"server_default": text("''")}
    )
    review_version: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    review_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    review_at: datetime | None = Field(default=None)
    approved_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    approved_at: datetime | None = Field(default=None)
    signed_off_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    signed_off_at: datetime | None = Field(default=None)


class ReviewStage(StrEnum):
    NONE = ""
    AWAITING_REVIEW = "awaiting_review"
    # Reviewed (or no reviewer named): waiting for the approver's sign-off, if one is named.
    APPROVED = "approved"
    SIGNED_OFF = "signed_off"


class FilingEvent(SQLModel, table=True):
    """A filing's timeline: review, sign-off and the lifecycle, read by filing from its
    index (the audit log has no index on its target)."""

    __tablename__ = "filing_event"
    __table_args__ = (Index("ix_filing_event_filing", "filing_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    filing_id: int = Field(foreign_key="filing.id")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    kind: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)
    # What else the event names: the titles of the steps a return reopened, or why an
    # approval was cleared.
    detail: str = Field(default="", max_length=2000)
