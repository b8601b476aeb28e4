"""The audit log: refusals, sign-ins and every change that grants or ends access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_firm_at", "firm_id", "at"),
        Index("ix_audit_firm_actor_at", "firm_id", "actor_id", "at"),
        Index("ix_audit_firm_client_at", "firm_id", "client_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Empty for what happens before anyone is known (a signed-out visitor's refused event).
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    actor_label: str = Field(default="", max_length=254)
    action: str = Field(max_length=60)
    outcome: str = Field(default="ok", max_length=10)
    target_type: str = Field(default="", max_length=30)
    target_id: int | None = Field(default=None)
    client_id: int | None = Field(default=None)
    detail: str = Field(default="", max_length=1000)
    ip: str = Field(default="", max_length=64)
