"""The thread of emails in and out for each client."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from models.base import utcnow


class EmailDirection(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class EmailStatus(StrEnum):
    SENT = "sent"  # handed to the SMTP server
    OUTBOX = "outbox"  # no SMTP configured: written to the local outbox instead
    FAILED = "failed"
    RECEIVED = "received"


class Email(SQLModel, table=True):
    __tablename__ = "email"
    __table_args__ = (Index("ix_email_client_at", "client_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    client_id: int = Field(foreign_key="client.id")
    direction: str = Field(sa_column=Column(String(3), nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    from_addr: str = Field(max_length=320)
    to_addr: str = Field(max_length=1000)
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    message_id: str = Field(default="", max_length=300)
    attachment_document_id: int | None = Field(default=None, foreign_key="document.id")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    error: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = Field(default=None)
