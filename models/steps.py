"""Filing Steps: the tasks a filing is split into, and what hangs off each one.

Checklist items, time entries and comments are rows of their own, so two people working on
one step at once each change their own rows and never overwrite the other's.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class StepStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CLIENT = "waiting_on_client"
    DONE = "done"


class Step(SQLModel, table=True):
    __tablename__ = "step"
    __table_args__ = (
        # The access rule: "a step assigned to B on a filing of C".
        Index("ix_step_assignee_filing", "assignee_id", "filing_id"),
        # My Tasks and the firm home: a person's open steps by due date. The filing comes
        # last so the firm's open-steps counts (home, Workload) read the index alone.
        Index(
            "ix_step_firm_assignee_status_due",
            "firm_id",
            "assignee_id",
            "status",
            "due_date",
            "filing_id",
        ),
        Index("ix_step_filing_position", "filing_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    filing_id: int = Field(foreign_key="filing.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id")
    due_date: date | None = Field(default=None)
    status: str = Field(sa_column=Column(String(20), nullable=False))
    waiting_reason: str = Field(default="", max_length=1000)
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who made the last change, so a conflicting editor is told who it was.
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)


class ChecklistItem(SQLModel, table=True):
    __tablename__ = "checklist_item"
    __table_args__ = (Index("ix_checklist_item_step_position", "step_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    step_id: int = Field(foreign_key="step.id")
    label: str = Field(max_length=300)
    position: int = Field(default=0)
    is_done: bool = Field(default=False)
    done_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    done_at: datetime | None = Field(default=None)


class TimeEntry(SQLModel, table=True):
    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_step_date", "step_id", "work_date"),
        # The Workload page's time charts: a firm's minutes by week, per person or client,
        # read from the index alone.
        Index("ix_time_entry_firm_date", "firm_id", "work_date", "user_id", "step_id", "minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    step_id: int = Field(foreign_key="step.id")
    user_id: int = Field(foreign_key="user_account.id", index=True)
    minutes: int
    work_date: date
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class StepComment(SQLModel, table=True):
    __tablename__ = "step_comment"
    __table_args__ = (Index("ix_step_comment_step_created", "step_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    step_id: int = Field(foreign_key="step.id")
    author_id: int = Field(foreign_key="user_account.id")
    body: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
