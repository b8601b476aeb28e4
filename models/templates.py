"""Filing templates: a filing kind with an ordered set of steps to create on each filing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class FilingTemplate(SQLModel, table=True):
    __tablename__ = "filing_template"
    __table_args__ = (
        Index("ix_filing_template_firm_archived_name", "firm_id", "archived", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    name: str = Field(max_length=120)
    kind: str = Field(max_length=40)
    # Kept (not deleted) once a filing came from it: the filing still names it.
    archived: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who made the last change, so a conflicting editor is told who it was.
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)


class TemplateStep(SQLModel, table=True):
    __tablename__ = "template_step"
    __table_args__ = (Index("ix_template_step_template_position", "template_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    template_id: int = Field(foreign_key="filing_template.id")
    position: int = Field(default=0)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    # One checklist item a line.
    checklist: str = Field(default="", max_length=10000)
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id")
    # Days from the filing's due date: -14 is two weeks before it.
    due_offset_days: int = Field(default=0)
