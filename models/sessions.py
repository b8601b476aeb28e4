"""Server-side sign-in sessions and the record of sign-in attempts used for throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class LoginSession(SQLModel, table=True):
    """One signed-in browser. Only the SHA-256 of its cookie token is kept."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    # Empty until the browser redeems its handoff code, so an unredeemed session opens nothing.
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    # A one-time code that turns into the cookie: the sign-in event cannot set an HttpOnly
    # cookie over the websocket, so the browser exchanges this code over HTTP.
    handoff_hash: str | None = Field(default=None, max_length=64, unique=True)
    handoff_expires_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None)
    revoked_reason: str | None = Field(default=None, max_length=40)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class SignInAttempt(SQLModel, table=True):
    """Every sign-in try, kept so throttling is shared by all workers and survives restarts."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_email_at", "email", "at"),
        Index("ix_sign_in_attempt_email_ip_at", "email", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)
    # pending while the password is checked, then failed, succeeded or blocked.
    outcome: str = Field(max_length=12)
