"""Emailed links that let a person set their own password: an invitation to a new login, or
a password reset (asked for by the person on the sign-in page, or sent by an admin).

Only the SHA-256 of a link's token is kept. The token itself is made when the mail is sent
(portal/services/mail_queue.py), so it exists only in the email: never in the database, a log
or a page. A link works once, until it expires, unless it was revoked (resent, ended by an
admin, or its login deactivated).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from models.base import utcnow


class LinkKind(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class AccountLink(SQLModel, table=True):
    __tablename__ = "account_link"
    __table_args__ = (
        # A person's open links of one kind: resend and reset revoke them, lists show them.
        Index("ix_account_link_user_kind", "user_id", "kind", "used_at", "revoked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    # SHA-256 of the token in the emailed link. Until the mail is sent it is the hash of a
    # random value nobody kept, so the link opens nothing.
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id")
    # The admin who invited or reset; empty when the person asked for it themselves.
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class ResetRequest(SQLModel, table=True):
    """Every "forgot password" request, whether or not the email has a login: the throttle
    counts them (per client address and per email, shared by every worker), and the mail
    sender turns a pending one into a link and a mail after the request has answered."""

    __tablename__ = "reset_request"
    __table_args__ = (
        Index("ix_reset_request_email_at", "email", "at"),
        Index("ix_reset_request_ip_at", "ip", "at"),
        Index("ix_reset_request_outcome_at", "outcome", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)
    # pending until the sender looked at it; then queued, unknown, deactivated, portal_off,
    # invited; or throttled at once.
    outcome: str = Field(max_length=12)
