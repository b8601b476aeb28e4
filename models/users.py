"""People who sign in. The role decides which allowlist and which scope rule apply."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class UserRole(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    BOOKKEEPER = "bookkeeper"


# Roles that take a paid seat on the firm's plan.
SEAT_ROLES = frozenset({UserRole.ADMIN, UserRole.STAFF})


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (Index("ix_user_firm_role_active", "firm_id", "role", "is_active"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    # Stored lower-cased; sign-in looks people up by it across all firms.
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(sa_column=Column(String(20), nullable=False))
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=100)
    must_change_password: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = Field(default=None)
    # Failed sign-ins before this instant no longer count: an admin reset lifts a lockout.
    throttle_reset_at: datetime | None = Field(default=None)
    version: int = Field(default=1)
    # The person's own switches for email about their work (their account page).
    email_assignments: bool = Field(default=True)
    email_digest: bool = Field(default=True)
    # The authenticator app (TOTP): its secret sealed by portal/crypto.py, switched on at
    # `totp_enabled_at`. A secret being enrolled waits in `totp_pending` until confirmed by
    # a code. `totp_last_step` is the last time step accepted: no code of it or before it
    # is accepted again (a replayed code is refused).
    totp_secret: str | None = Field(default=None, max_length=200)
    totp_pending: str | None = Field(default=None, max_length=200)
    totp_enabled_at: datetime | None = Field(default=None)
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    # A login made by invitation: when it was invited, and when the person accepted and chose
    # their password. Invited and not yet activated = "Invited" (its password hash can never
    # verify). Logins from before invitations count as activated when they were created.
    invited_at: datetime | None = Field(default=None)
    activated_at: datetime | None = Field(default=None)
    # An archived login: deactivated, then put away by an admin. Hidden from the login lists
    # and every picker; its name still resolves in the audit log and the access history,
    # and "Restore" brings it back as deactivated.
    archived_at: datetime | None = Field(default=None)
