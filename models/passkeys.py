"""Passkeys (WebAuthn credentials) and the challenges their ceremonies sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Passkey(SQLModel, table=True):
    """One registered passkey: its ID and public key (nothing secret), and its owner's label."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    # base64url, as the browser names the credential (at most 1023 bytes by the spec).
    credential_id: str = Field(max_length=1400, unique=True)
    # base64url of the COSE public key the authenticator made.
    public_key: str = Field(max_length=2000)
    # The WebAuthn user handle (base64url of random bytes): the same for all of a person's
    # passkeys, and never their id or email.
    user_handle: str = Field(max_length=100)
    sign_count: int = Field(default=0)
    # Comma-separated, as the browser reported them ("internal,hybrid").
    transports: str = Field(default="", max_length=200)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge handed to a browser: kept as a SHA-256, for two minutes, usable once. In
    the database so that every worker honours (and spends) the same challenges."""

    __tablename__ = "webauthn_challenge"
    __table_args__ = (Index("ix_webauthn_challenge_expires_at", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_hash: str = Field(max_length=64, unique=True)
    # "register" or "authenticate".
    purpose: str = Field(max_length=20)
    # Whose ceremony it is; None for a passwordless sign-in, where nobody is known yet.
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)
