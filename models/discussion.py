"""The discussion thread on each filing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class DiscussionPost(SQLModel, table=True):
    __tablename__ = "discussion_post"
    __table_args__ = (Index("ix_discussion_post_filing_created", "filing_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    filing_id: int = Field(foreign_key="filing.id")
    author_id: int = Field(foreign_key="user_account.id")
    body: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
