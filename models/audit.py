"""The audit log: refusals, sign-ins and every change that grants or ends access.

Refusals are folded: repeats by one actor (or, signed out, one address) of the same refusal
within one minute add to the `count` of a single row, found by its `fold_key`, so a flood
cannot grow the log without bound. Every other row has a count of 1 and no fold key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_firm_at", "firm_id", "at"),
        Index("ix_audit_firm_actor_at", "firm_id", "actor_id", "at"),
        Index("ix_audit_firm_client_at", "firm_id", "client_id", "at"),
        # NULL for rows that are never folded; unique among the rest.
        Index("ux_audit_fold_key", "fold_key", unique=True),
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
    # How many times this happened: above 1 only for a folded refusal.
    count: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    fold_key: str | None = Field(default=None, max_length=64)
