"""The access ledger: every time a bookkeeper gained or lost a way into a client, and why.

Access itself is never stored: it is derived from the steps by the rule in
portal/services/scope.py. This table records its changes, written by
portal/services/access_changes.py in the same transaction as the action that caused them, so
that "who could open this client last March, and why?" has an answer. Rows are only ever
added. One row is one path (person, client, step, filing) granted or revoked.

The step is named by id, without a foreign key (a removed step's revocation must outlive the
step), and by its title at the time of the change, so that the history still reads "assigned
'Enter Q1 bank transactions'" after the step is gone or renamed. Everything else it names is
never deleted. The database refuses UPDATE and DELETE on the table (migration 0006).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class AccessChangeKind(StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"


class AccessChange(SQLModel, table=True):
    __tablename__ = "access_change"
    __table_args__ = (
        # A client's history ("who could open X between D1 and D2"), and a person's.
        Index("ix_access_change_firm_client_at", "firm_id", "client_id", "at"),
        Index("ix_access_change_firm_user_at", "firm_id", "user_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    # The person whose access changed.
    user_id: int = Field(foreign_key="user_account.id")
    client_id: int = Field(foreign_key="client.id")
    step_id: int
    # Empty only for rows written before the title was kept, whose step was already gone.
    step_title: str | None = Field(default=None, max_length=200)
    filing_id: int = Field(foreign_key="filing.id")
    change: str = Field(sa_column=Column(String(10), nullable=False))
    # What caused it, as "area.event": step.assigned, filing.filed, login.deactivated, ...
    cause: str = Field(max_length=40)
    # Who acted; empty for what no signed-in person did (an upgrade, a scheduled job).
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow)
