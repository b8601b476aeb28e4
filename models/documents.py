"""Client documents. The bytes live outside Reflex's public upload folder, under an opaque key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_client_created", "client_id", "created_at"),
        Index("ix_document_filing", "filing_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    client_id: int = Field(foreign_key="client.id")
    filing_id: int | None = Field(default=None, foreign_key="filing.id")
    storage_key: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Deleting removes the bytes at once; the row stays so the audit log can name it.
    deleted_at: datetime | None = Field(default=None)
