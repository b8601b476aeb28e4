"""Submissions already handled, so a repeat of the same submit creates nothing.

A double click, a resent event or a second worker racing the first all carry the same key;
the unique index lets exactly one of them through, and the others read its result.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Submission(SQLModel, table=True):
    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_user_created", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the person, the form's token, the operation and what was submitted.
    key: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    # What the first run made (a new record's id), handed back to a repeat.
    result_id: int | None = Field(default=None)
