"""Second factors beside the user's own columns: recovery codes, the sign-in challenge that
waits for a code after the password, and the failed codes that throttle guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class RecoveryCode(SQLModel, table=True):
    """One of a person's single-use recovery codes; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = Field(default=None)


class SignInChallenge(SQLModel, table=True):
    """A password that matched, waiting for the second factor. The browser's tab holds the
    secret (server side, in an underscore var); this row holds its SHA-256. It dies after
    `expires_at`, after too many wrong codes, and once used."""

    __tablename__ = "sign_in_challenge"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    failures: int = Field(default=0)
    used_at: datetime | None = Field(default=None)
    ip: str = Field(default="", max_length=64)


class FactorFailure(SQLModel, table=True):
    """A wrong code (authenticator or recovery), at sign-in or on the security page: the
    second factor's own throttle counts these per account, shared by every worker."""

    __tablename__ = "factor_failure"
    __table_args__ = (Index("ix_factor_failure_user_at", "user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow)
    ip: str = Field(default="", max_length=64)
