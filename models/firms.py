"""A firm is the tenant: every other row belongs to exactly one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utcnow


class Firm(SQLModel, table=True):
    __tablename__ = "firm"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The plan: paid seats cover active admins and staff; bookkeepers never take one.
    staff_seats: int = Field(default=5)
    filing_steps_enabled: bool = Field(default=True)
    portal_enabled: bool = Field(default=False)
    # The firm's IANA time zone: when its morning is, for the digest email.
    time_zone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    # Who last changed the plan or modules, and when: named to an admin whose change conflicts.
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None)
    # Bumped on every plan change and seat allocation so concurrent writers serialise.
    version: int = Field(default=1)
    # Who must have a second factor to sign in: new firms ask it of admins and staff. (Firms
    # that existed before the policy start with all three off: an upgrade locks nobody out.)
    mfa_admins: bool = Field(default=True)
    mfa_staff: bool = Field(default=True)
    mfa_bookkeepers: bool = Field(default=False)
    # When a recurring filing's next one is made: "filed" (when the current one is filed) or
    # "schedule" (recurring_days_before days before the next due date).
    recurring_on: str = Field(default="filed", max_length=10)
    recurring_days_before: int = Field(default=30)
